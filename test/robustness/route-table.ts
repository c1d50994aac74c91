import { randomBytes } from 'node:crypto'
import type { App } from '../../src/app.ts'
import { adminHeaders, daysAgo, run } from '../fixtures.ts'
import { TEST_ADMIN_TOKEN } from '../helper.ts'
import type { LeakScan } from './leak-scan.ts'

/** The webhook verify token the robustness apps are configured with (STRAVA_WEBHOOK_VERIFY_TOKEN). */
export const WEBHOOK_VERIFY_TOKEN = 'robustness-webhook-verify-token'
/** A Strava application that is configured, so the login route redirects, but whose server nothing answers. */
export const UNREACHABLE_STRAVA = { STRAVA_BASE_URL: 'http://127.0.0.1:9', STRAVA_CLIENT_ID: 'robustness-client', STRAVA_CLIENT_SECRET: 'robustness-secret' }

/** Token material is marked so a scan can find it in any text. */
export const markedToken = (kind: string) => `LEAKMARK-${kind}-${randomBytes(12).toString('base64url')}`

export interface Seeded {
  a: { id: number, apiKey: string }
  b: { id: number, apiKey: string }
  activityId: number
  cursor: string
  /** A second key of A's, which the revoke route may take without A losing its own. */
  spareKeyId: number
}

async function seedAthlete (app: App, scan: LeakScan, stravaAthleteId: number, label: string) {
  const created = await app.inject({ method: 'PUT', url: '/admin/athletes', headers: adminHeaders, payload: { athletes: [{ stravaAthleteId, name: `Athlete ${label}` }] } })
  scan.record('seed', created)
  const id = created.json().athletes[0].id as number
  const key = await app.inject({ method: 'POST', url: `/admin/athletes/${id}/api-keys`, headers: adminHeaders })
  scan.record('seed', key, { issuesKey: true })
  const apiKey = key.json().apiKey as string
  scan.addSecret(`athlete ${label}'s API key`, apiKey)
  scan.addSecret(`athlete ${label}'s API key without its prefix`, apiKey.slice(11))
  return { id, apiKey }
}

/**
 * Two athletes with keys, a few weeks of activities and ACWR each, and marked Strava tokens
 * that are not due, so no request in the suite calls Strava.
 */
export async function seed (app: App, scan: LeakScan): Promise<Seeded> {
  scan.addSecret('the admin token', TEST_ADMIN_TOKEN)
  const a = await seedAthlete(app, scan, 700_001, 'A')
  const b = await seedAthlete(app, scan, 700_002, 'B')
  for (const [athlete, first] of [[a, 1], [b, 101]] as const) {
    const activities = [0, 1, 2, 3].map(i => run(first + i, daysAgo(3 + i * 5), 5 + i, { averageHeartrate: 140 }))
    scan.record('seed', await app.inject({ method: 'PUT', url: `/api/athletes/${athlete.id}/activities`, headers: adminHeaders, payload: { activities } }))
  }
  const expiresAt = Math.floor(Date.now() / 1000) + 365 * 86_400
  const tokens = [a, b].map(athlete => ({ athleteId: athlete.id, accessToken: markedToken('access'), refreshToken: markedToken('refresh'), expiresAt, scope: 'read' }))
  tokens.forEach(token => {
    scan.addSecret('a Strava access token', token.accessToken)
    scan.addSecret('a Strava refresh token', token.refreshToken)
  })
  scan.record('seed', await app.inject({ method: 'PUT', url: '/admin/strava-tokens', headers: adminHeaders, payload: { tokens } }))
  const page = await app.inject({ url: `/api/athletes/${a.id}/activities?limit=1`, headers: adminHeaders })
  scan.record('seed', page)
  const spare = await app.inject({ method: 'POST', url: `/admin/athletes/${a.id}/api-keys`, headers: adminHeaders })
  scan.record('seed', spare, { issuesKey: true })
  scan.addSecret("athlete A's spare API key", spare.json().apiKey)
  const keys = await app.inject({ url: `/api/athletes/${a.id}/api-keys`, headers: adminHeaders })
  scan.record('seed', keys)
  return { a, b, activityId: 2, cursor: page.json().nextCursor, spareKeyId: keys.json().keys[0].id }
}

/** A request a route serves; the hostile cases are variations of it. */
export interface BaseRequest {
  params?: Record<string, string | number>
  query?: Record<string, string>
  body?: unknown
  headers?: Record<string, string>
  /** A body sent as it is, with `contentType`, for routes that take other than JSON. */
  payload?: string | Buffer
  contentType?: string
}

export interface RouteEntry {
  valid: (seeded: Seeded) => BaseRequest
  /** The status the valid request gets. */
  status: number
  /** The route serves a request without a body (defaults apply). */
  optionalBody?: true
  /** Rules beyond the schema: each a body, query or params change and the text its 400/404 names. */
  rules?: (seeded: Seeded) => Array<{ name: string, change: BaseRequest, status: number, names: string }>
}

const yesterday = new Date(Date.now() - 86_400_000)
/** Yesterday at 08:00 UTC as an en-GB Strava export writes it. */
const exportDate = `${yesterday.getUTCDate()} ${yesterday.toLocaleString('en-GB', { month: 'short', timeZone: 'UTC' })} ${yesterday.getUTCFullYear()}, 08:00:00`

const fullActivity = { ...run(900, daysAgo(2), 6), elevationGainM: 120, averageHeartrate: 150, maxHeartrate: 175, perceivedEffort: 6, name: 'Tempo' }

/**
 * Every route the app registers, by `METHOD url`. A HEAD route uses its GET route's entry. The
 * bad-input test fails when the app has a route this table lacks, so a new route must be added.
 */
export const routeTable: Record<string, RouteEntry> = {
  'OPTIONS *': { valid: () => ({ params: { '*': 'api/athletes/1' }, headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'GET' } }), status: 204 },
  'GET /docs': { valid: () => ({}), status: 200 },
  'HEAD /docs/': { valid: () => ({}), status: 200 },
  'GET /docs/static/index.html': { valid: () => ({}), status: 302 },
  'GET /docs/static/swagger-initializer.js': { valid: () => ({}), status: 200 },
  'GET /docs/json': { valid: () => ({}), status: 200 },
  'GET /docs/yaml': { valid: () => ({}), status: 200 },
  'GET /docs/static/*': { valid: () => ({ params: { '*': 'swagger-ui.css' } }), status: 200 },
  'GET /*': { valid: () => ({ params: { '*': 'index.html' } }), status: 200 },
  'GET /vendor/uplot/*': { valid: () => ({ params: { '*': 'uPlot.esm.js' } }), status: 200 },
  'GET /health': { valid: () => ({}), status: 200 },
  'GET /metrics': { valid: () => ({}), status: 200 },
  'GET /admin/database-optimization-status': { valid: () => ({}), status: 200 },
  'GET /auth/strava': { valid: () => ({}), status: 302 },
  // A callback with a good state would call Strava; a bad state is refused before anything else.
  'GET /auth/strava/callback': { valid: () => ({ query: { state: 'not-a-state', code: 'a-code', scope: 'read', error: 'none' } }), status: 400 },
  'GET /admin/athletes': { valid: s => ({ query: { limit: '10', cursor: String(s.a.id) } }), status: 200 },
  'PUT /admin/athletes': {
    valid: () => ({ body: { athletes: [{ stravaAthleteId: 700_003, name: 'Athlete C', sex: 'F', restingHr: 50, maxHr: 190, timezone: 'Europe/Paris' }] } }),
    status: 200,
    rules: () => [
      { name: 'a duplicate stravaAthleteId', change: { body: { athletes: [{ stravaAthleteId: 5 }, { stravaAthleteId: 5 }] } }, status: 400, names: 'athletes/1/stravaAthleteId' },
      { name: 'an unknown timezone', change: { body: { athletes: [{ stravaAthleteId: 5, timezone: 'Mars/Olympus' }] } }, status: 400, names: 'timezone' },
      { name: 'restingHr above maxHr', change: { body: { athletes: [{ stravaAthleteId: 5, restingHr: 110, maxHr: 105 }] } }, status: 400, names: 'maxHr' }
    ]
  },
  'POST /admin/athletes/:athleteId/api-keys': { valid: s => ({ params: { athleteId: s.b.id } }), status: 201 },
  'GET /api/athletes/:athleteId': { valid: s => ({ params: { athleteId: s.a.id } }), status: 200 },
  'GET /api/me': { valid: () => ({}), status: 200 },
  'GET /api/athletes/:athleteId/api-keys': { valid: s => ({ params: { athleteId: s.a.id } }), status: 200 },
  // Revoking is idempotent, so every caller that may revoke the spare key gets the same 204.
  'DELETE /api/athletes/:athleteId/api-keys/:keyId': {
    valid: s => ({ params: { athleteId: s.a.id, keyId: s.spareKeyId } }),
    status: 204,
    rules: s => [
      { name: 'a key the athlete does not have', change: { params: { athleteId: s.a.id, keyId: s.spareKeyId + 1000 } }, status: 404, names: 'keyId' }
    ]
  },
  'PATCH /api/athletes/:athleteId/settings': {
    valid: s => ({ params: { athleteId: s.a.id }, body: { acwrModel: 'ewma', acuteDays: 7, chronicDays: 28, decayRate: 0.05, restingHr: 50, maxHr: 190, sex: 'M', timezone: 'UTC' } }),
    status: 200,
    rules: () => [
      { name: 'chronicDays under twice acuteDays', change: { body: { acuteDays: 14, chronicDays: 20 } }, status: 400, names: 'chronicDays' },
      { name: 'restingHr at maxHr', change: { body: { restingHr: 100, maxHr: 100 } }, status: 400, names: 'maxHr' },
      { name: 'an unknown timezone', change: { body: { timezone: "Europe/Paris'; drop table athletes; --" } }, status: 400, names: 'timezone' }
    ]
  },
  'PUT /api/athletes/:athleteId/activities': {
    valid: s => ({ params: { athleteId: s.a.id }, body: { activities: [fullActivity] } }),
    status: 200,
    rules: () => [
      { name: 'a duplicate activity id', change: { body: { activities: [fullActivity, fullActivity] } }, status: 400, names: 'activities/1/id' }
    ]
  },
  'GET /api/athletes/:athleteId/activities': {
    valid: s => ({ params: { athleteId: s.a.id }, query: { from: daysAgo(60), to: daysAgo(0), limit: '10', cursor: s.cursor } }),
    status: 200,
    rules: () => [
      { name: 'a cursor the API did not issue', change: { query: { cursor: Buffer.from('["x",1]').toString('base64url') } }, status: 400, names: 'cursor' }
    ]
  },
  'DELETE /api/athletes/:athleteId/activities/:activityId': { valid: s => ({ params: { athleteId: s.a.id, activityId: s.activityId } }), status: 204 },
  'POST /admin/batch-recalculate-acwr': {
    valid: s => ({ body: { athleteIds: [s.a.id], from: daysAgo(10) } }),
    status: 200,
    optionalBody: true,
    rules: () => [
      { name: 'an unknown athlete', change: { body: { athleteIds: [987_654_321] } }, status: 404, names: 'athleteIds' }
    ]
  },
  'GET /api/athletes/:athleteId/acwr': {
    valid: s => ({ params: { athleteId: s.a.id }, query: { from: daysAgo(30), to: daysAgo(0) } }),
    status: 200,
    rules: () => [
      { name: 'from after to', change: { query: { from: daysAgo(1), to: daysAgo(5) } }, status: 400, names: 'from' },
      { name: 'a range over 3,660 days', change: { query: { from: '1990-01-01', to: '2026-01-01' } }, status: 400, names: 'from' }
    ]
  },
  'POST /api/athletes/:athleteId/imports': {
    valid: s => ({ params: { athleteId: s.a.id }, payload: `Activity ID,Activity Date,Activity Type,Moving Time,Distance\n990001,"${exportDate}",Run,1800.0,5000.0\n`, contentType: 'text/csv' }),
    status: 200
  },
  'GET /api/athletes/:athleteId/acwr/latest': { valid: s => ({ params: { athleteId: s.a.id } }), status: 200 },
  'GET /api/athletes/:athleteId/pmc': {
    valid: s => ({ params: { athleteId: s.a.id }, query: { from: daysAgo(30), to: daysAgo(0) } }),
    status: 200,
    rules: () => [
      { name: 'from after to', change: { query: { from: daysAgo(1), to: daysAgo(5) } }, status: 400, names: 'from' },
      { name: 'a range over 3,660 days', change: { query: { from: '1990-01-01', to: '2026-01-01' } }, status: 400, names: 'from' }
    ]
  },
  'PUT /admin/strava-tokens': {
    valid: s => ({ body: { tokens: [{ athleteId: s.b.id, accessToken: markedToken('access'), refreshToken: markedToken('refresh'), expiresAt: 4_000_000_000, scope: 'read' }] } }),
    status: 200,
    rules: s => [
      { name: 'an unknown athlete', change: { body: { tokens: [{ athleteId: 987_654_321, accessToken: 'a', refreshToken: 'r', expiresAt: 1 }] } }, status: 404, names: 'tokens/0/athleteId' },
      { name: 'a duplicate athlete', change: { body: { tokens: [1, 2].map(() => ({ athleteId: s.a.id, accessToken: 'a', refreshToken: 'r', expiresAt: 1 })) } }, status: 400, names: 'tokens/1/athleteId' }
    ]
  },
  'POST /admin/batch-refresh-tokens': { valid: s => ({ body: { athleteIds: [s.a.id], withinMinutes: 60, concurrency: 2 } }), status: 200, optionalBody: true },
  'GET /admin/token-health-report': { valid: s => ({ query: { status: 'healthy', limit: '10', cursor: String(s.a.id) } }), status: 200 },
  'POST /admin/strava-tokens/cleanup': { valid: () => ({ body: { invalidForDays: 30 } }), status: 200, optionalBody: true },
  'POST /api/athletes/:athleteId/strava/sync': { valid: s => ({ params: { athleteId: s.a.id }, body: { full: false } }), status: 202, optionalBody: true },
  'GET /api/athletes/:athleteId/strava/sync': { valid: s => ({ params: { athleteId: s.a.id } }), status: 200 },
  // Strava is out of reach in these tests: the disconnect goes ahead locally all the same.
  'DELETE /api/athletes/:athleteId/strava': { valid: s => ({ params: { athleteId: s.a.id } }), status: 204 },
  'POST /admin/strava/sync': {
    valid: s => ({ body: { athleteIds: [s.a.id], full: false } }),
    status: 202,
    optionalBody: true
  },
  'GET /admin/strava/sync-status': { valid: () => ({}), status: 200 },
  'GET /webhooks/strava': { valid: () => ({ query: { 'hub.mode': 'subscribe', 'hub.challenge': 'challenge', 'hub.verify_token': WEBHOOK_VERIFY_TOKEN } }), status: 200 },
  'POST /webhooks/strava': {
    valid: () => ({ body: { object_type: 'activity', object_id: 5, aspect_type: 'create', owner_id: 123_456_789, subscription_id: 1, event_time: 1_770_000_000, updates: {} } }),
    status: 200
  }
}
