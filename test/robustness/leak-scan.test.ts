import type { InjectOptions } from 'fastify'
import t from 'tap'
import { adminHeaders, bearer } from '../fixtures.ts'
import { build, TEST_ADMIN_TOKEN } from '../helper.ts'
import { startFake, stravaEnv } from '../tokens/fixtures.ts'
import { LeakScan } from './leak-scan.ts'
import { markedToken, seed } from './route-table.ts'

// Every token the fake Strava issues starts with these, so the scan finds any of them, rotated
// or not, without knowing each value.
const FAKE_TOKEN_MARKS = ['fake-access-', 'fake-refresh-']

t.test('no Strava token, API key, admin token or client secret appears in any response or log line of the token flows', async t => {
  const scan = new LeakScan()
  const fake = await startFake(t)
  FAKE_TOKEN_MARKS.forEach(mark => scan.addSecret(`a Strava token (${mark})`, mark))
  scan.addSecret('the Strava client secret', fake.clientSecret)
  const app = await build(t, { env: stravaEnv(fake), onLog: scan.onLog })
  const seeded = await seed(app, scan)
  const call = async (label: string, options: InjectOptions, { issuesKey = false } = {}) => {
    const res = await app.inject(options)
    scan.record(label, res, { issuesKey })
    return res
  }

  const start = await call('login start', { url: '/auth/strava' })
  const state = new URL(start.headers.location as string).searchParams.get('state')!
  const browser = { cookie: String(start.headers['set-cookie']).split(';')[0]! }
  const code = fake.issueCode(880_001)
  const callback = `/auth/strava/callback?state=${state}&code=${code}&scope=read,activity:read_all`
  const login = await call('login callback', { url: callback, headers: browser }, { issuesKey: true })
  t.equal(login.statusCode, 200, 'an athlete logs in through Strava and gets an API key')
  const replay = await call('replayed callback', { url: callback, headers: browser })
  t.equal(replay.statusCode, 400, 'a used state is refused')

  const athletes = await call('athletes', { method: 'PUT', url: '/admin/athletes', headers: adminHeaders, payload: { athletes: [{ stravaAthleteId: 880_002 }, { stravaAthleteId: 880_003 }] } })
  const [known, unknownToStrava] = athletes.json().athletes.map((a: { id: number }) => a.id)
  const granted = fake.addAthlete(880_002)
  const rejected = { accessToken: markedToken('access'), refreshToken: markedToken('refresh') }
  scan.addSecret('a marked Strava access token', rejected.accessToken)
  scan.addSecret('a marked Strava refresh token', rejected.refreshToken)
  const dueAt = Math.floor(Date.now() / 1000) + 600
  const saved = await call('save tokens', {
    method: 'PUT',
    url: '/admin/strava-tokens',
    headers: adminHeaders,
    payload: { tokens: [{ athleteId: known, accessToken: granted.access_token, refreshToken: granted.refresh_token, expiresAt: dueAt }, { athleteId: unknownToStrava, ...rejected, expiresAt: dueAt }] }
  })
  t.equal(saved.statusCode, 200)

  fake.failNext({ status: 500, retryAfterS: 0 }, { status: 429, retryAfterS: 0 })
  const refresh = await call('refresh', { method: 'POST', url: '/admin/batch-refresh-tokens', headers: adminHeaders, payload: { withinMinutes: 60 } })
  t.match(refresh.json(), { refreshed: 1, invalidated: 1 }, 'one token rotated through Strava failures, one rejected by Strava')

  for (const url of ['/admin/token-health-report', '/admin/database-optimization-status', '/metrics', '/docs/json']) {
    t.equal((await call(url, { url, headers: adminHeaders })).statusCode, 200, url)
  }
  await call('athlete read', { url: `/api/athletes/${seeded.a.id}`, headers: bearer(seeded.a.apiKey) })
  await call('wrong athlete', { url: `/api/athletes/${seeded.b.id}`, headers: bearer(seeded.a.apiKey) })
  await call('near-miss admin token', { url: '/metrics', headers: bearer(TEST_ADMIN_TOKEN.slice(0, -1) + 'y') })
  await call('bad token batch', { method: 'PUT', url: '/admin/strava-tokens', headers: adminHeaders, payload: { tokens: [{ athleteId: 987_654_321, accessToken: markedToken('access'), refreshToken: 'short', expiresAt: 1 }] } })

  const sealed = await app.db.selectFrom('strava_tokens').select(['access_token', 'refresh_token']).execute()
  sealed.forEach(row => { scan.addSecret('a sealed access token', row.access_token); scan.addSecret('a sealed refresh token', row.refresh_token) })
  t.equal(sealed.length, 5, 'the seeded, logged-in and saved athletes have tokens')
  t.ok(scan.logLines > 20 && scan.responses > 15, `${scan.responses} responses and ${scan.logLines} log lines captured`)
  t.same(scan.findLeaks(), [])
})
