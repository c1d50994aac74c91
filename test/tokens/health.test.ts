import { sql } from 'kysely'
import t from 'tap'
import type { App } from '../../src/app.ts'
import { summarizeTokens } from '../../src/tokens/summary.ts'
import { build, TEST_ADMIN_TOKEN } from '../helper.ts'
import { adminHeaders } from './fixtures.ts'

const headers = adminHeaders(TEST_ADMIN_TOKEN)

/**
 * Seven athletes, ids in creation order: healthy, healthy, expiringSoon, expired, invalid for
 * 40 days, invalid for 2 days, missing.
 */
async function seedFleet (app: App): Promise<number[]> {
  const ids = (await app.db.insertInto('athletes').values(Array.from({ length: 7 }, (_, i) => ({ name: `athlete ${i}` }))).returning('id').execute()).map(r => r.id)
  const token = (athleteId: number, minutesLeft: number, invalidDays?: number) => ({
    athlete_id: athleteId,
    access_token: app.tokenCipher.seal(`secret-access-${athleteId}`),
    refresh_token: app.tokenCipher.seal(`secret-refresh-${athleteId}`),
    expires_at: sql<Date>`now() + make_interval(mins => ${minutesLeft})`,
    status: invalidDays === undefined ? 'active' as const : 'invalid' as const,
    invalid_since: invalidDays === undefined ? null : sql<Date>`now() - make_interval(days => ${invalidDays})`,
    last_error: invalidDays === undefined ? null : 'Strava rejected the refresh token (HTTP 400)'
  })
  await app.db.insertInto('strava_tokens').values([
    token(ids[0]!, 300), token(ids[1]!, 200), token(ids[2]!, 30), token(ids[3]!, -90), token(ids[4]!, -600, 40), token(ids[5]!, 100, 2)
  ]).execute()
  return ids
}

const report = async (app: App, query = '') => {
  const res = await app.inject({ url: `/admin/token-health-report${query}`, headers })
  if (res.statusCode !== 200) throw new Error(`health report answered ${res.statusCode}: ${res.body}`)
  return res
}

t.test('the health report puts each athlete in one bucket, with the summary from summarizeTokens', async t => {
  const app = await build(t)
  const ids = await seedFleet(app)
  const res = await report(app)
  const body = res.json()
  t.same(body.summary, await summarizeTokens(app.db))
  t.same(body.summary, { total: 7, healthy: 2, expiringSoon: 1, expired: 1, invalid: 2, missing: 1 })
  t.same(body.athletes.map((a: { status: string }) => a.status), ['healthy', 'healthy', 'expiringSoon', 'expired', 'invalid', 'invalid', 'missing'])
  t.same(body.athletes.map((a: { athleteId: number }) => a.athleteId), ids)
  t.match(body.athletes[4], { failureCount: 0, lastError: /HTTP 400/, expiresAt: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, lastRefreshedAt: null })
  t.match(body.athletes[6], { expiresAt: null, failureCount: null })
  t.equal(body.nextCursor, null)
  t.notMatch(res.body, /secret-|v1\./, 'no token material, sealed or not')
})

t.test('the health report pages by cursor and filters by status', async t => {
  const app = await build(t)
  const ids = await seedFleet(app)
  const first = (await report(app, '?limit=3')).json()
  t.same(first.athletes.map((a: { athleteId: number }) => a.athleteId), ids.slice(0, 3))
  t.equal(first.nextCursor, String(ids[2]))
  const second = (await report(app, `?limit=3&cursor=${first.nextCursor}`)).json()
  t.same(second.athletes.map((a: { athleteId: number }) => a.athleteId), ids.slice(3, 6))
  const third = (await report(app, `?limit=3&cursor=${second.nextCursor}`)).json()
  t.same(third.athletes.map((a: { athleteId: number }) => a.athleteId), ids.slice(6))
  t.equal(third.nextCursor, null)

  const invalid = (await report(app, '?status=invalid&limit=1')).json()
  t.same(invalid.athletes.map((a: { athleteId: number }) => a.athleteId), [ids[4]])
  t.same((await report(app, `?status=invalid&cursor=${invalid.nextCursor}`)).json().athletes.map((a: { athleteId: number }) => a.athleteId), [ids[5]])
  for (const bad of ['?status=stale', '?limit=0', '?cursor=abc']) {
    t.equal((await app.inject({ url: `/admin/token-health-report${bad}`, headers })).statusCode, 400, bad)
  }
  t.equal((await app.inject({ url: '/admin/token-health-report' })).statusCode, 401)
})

t.test('cleanup deletes only tokens invalid for the given days, with a deleted event', async t => {
  const app = await build(t)
  const ids = await seedFleet(app)
  const cleanup = (payload?: object) => app.inject({ method: 'POST', url: '/admin/strava-tokens/cleanup', headers, ...(payload && { payload }) })

  t.same((await cleanup()).json(), { deleted: 1 }, 'the default is 30 days')
  const remaining = (await app.db.selectFrom('strava_tokens').select('athlete_id').orderBy('athlete_id').execute()).map(r => r.athlete_id)
  t.same(remaining, ids.slice(0, 4).concat(ids[5]!), 'expired but refreshable tokens stay')
  t.same(await app.db.selectFrom('token_events').select(['athlete_id', 'event']).execute(), [{ athlete_id: ids[4], event: 'deleted' }])

  t.same((await cleanup({ invalidForDays: 3 })).json(), { deleted: 0 })
  t.same((await cleanup({ invalidForDays: 1 })).json(), { deleted: 1 })
  t.same((await cleanup({ invalidForDays: 0 })).json(), { deleted: 0 }, 'active tokens are never deleted')
  t.equal((await cleanup({ invalidForDays: '1' })).statusCode, 400)
})
