import { readdirSync } from 'node:fs'
import { sql } from 'kysely'
import t from 'tap'
import { migrationFolder } from '../../src/db/migrations.ts'
import { build, TEST_ADMIN_TOKEN } from '../helper.ts'

// Every app in this file logs here, at debug level, so the last test can scan it all.
const logLines: string[] = []
const buildLogged = (t: Parameters<typeof build>[0], options: Parameters<typeof build>[1] = {}) =>
  build(t, { ...options, onLog: line => logLines.push(line) })

const bearer = (credential: string) => ({ authorization: `Bearer ${credential}` })
const admin = bearer(TEST_ADMIN_TOKEN)
const wrongToken = 'wrong-token-' + 'y'.repeat(32)
const adminRoutes = ['/admin/database-optimization-status', '/metrics']
const unauthorizedBody = { statusCode: 401, error: 'Unauthorized', message: 'A valid bearer credential is required.' }

/** Prometheus text format: `name{labels} value` lines, comments skipped. */
function parseMetrics (text: string): Map<string, number> {
  const samples = new Map<string, number>()
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*(?:\{.*\})?) (\S+)$/.exec(line)
    if (match) samples.set(match[1]!, Number(match[2]))
  }
  return samples
}

t.test('every admin route refuses a missing or wrong token with the same 401 and serves the admin token', async t => {
  const app = await buildLogged(t)
  for (const url of adminRoutes) {
    const missing = await app.inject({ url })
    const wrong = await app.inject({ url, headers: bearer(wrongToken) })
    const right = await app.inject({ url, headers: admin })
    t.equal(missing.statusCode, 401, `${url} without a token`)
    t.same(missing.json(), unauthorizedBody)
    t.equal(wrong.statusCode, 401, `${url} with a wrong token`)
    t.same(wrong.json(), unauthorizedBody)
    t.equal(right.statusCode, 200, `${url} with the admin token`)
  }
})

t.test('the status route reports pool, query, token, ACWR and schema figures', async t => {
  const app = await buildLogged(t, { env: { DB_POOL_MAX: '6' } })
  await sql`select pg_sleep(0.05), 'literal-canary'`.execute(app.db)
  const res = await app.inject({ url: '/admin/database-optimization-status', headers: admin })
  t.equal(res.statusCode, 200)
  const body = res.json()

  t.equal(body.pool.max, 6)
  t.ok(body.pool.total >= 1 && body.pool.total <= 6)
  t.equal(body.pool.waiting, 0)
  t.ok(body.pool.utilization >= 0 && body.pool.utilization <= 1)
  t.ok(body.pool.connectionsCreated >= 1)
  t.equal(body.pool.errors, 0)
  t.ok(body.pool.acquireWaitMs.max >= body.pool.acquireWaitMs.p95)
  t.ok(body.pool.acquireWaitMs.p95 >= body.pool.acquireWaitMs.p50)

  t.ok(body.queries.count >= 2)
  t.ok(body.queries.avgMs > 0)
  const sleeper = body.queries.slowest.find((s: { sqlFingerprint: string }) => s.sqlFingerprint === 'select pg_sleep(?), ?')
  t.ok(sleeper, 'the slow statement is listed by its fingerprint')
  t.ok(sleeper.ms >= 50)
  t.notMatch(JSON.stringify(body.queries), 'literal-canary', 'literals never reach the report')

  t.same(body.tokens, { total: 0, healthy: 0, expiringSoon: 0, expired: 0, invalid: 0, missing: 0 })
  t.same(body.acwr, { athletes: 0, athletesStale: 0, lastRecalculatedAt: null })
  const migrationFiles = readdirSync(migrationFolder).filter(f => /\.ts$/.test(f))
  t.same(body.schema, { verified: true, appliedMigrations: migrationFiles.length, pendingMigrations: 0 })
})

t.test('the status route counts athletes with no token as missing', async t => {
  const app = await buildLogged(t)
  await app.db.insertInto('athletes').values([{ name: 'a' }, { name: 'b' }]).execute()
  const body = (await app.inject({ url: '/admin/database-optimization-status', headers: admin })).json()
  t.equal(body.tokens.total, 2)
  t.equal(body.tokens.missing, 2)
})

t.test('/metrics pool gauges match the pool, and histograms fill as queries run', async t => {
  const app = await buildLogged(t, { env: { DB_POOL_MAX: '7' } })
  await app.inject({ url: '/admin/database-optimization-status', headers: admin })
  const res = await app.inject({ url: '/metrics', headers: admin })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^text\/plain/)
  const samples = parseMetrics(res.body)

  t.equal(samples.get('trainload_db_pool_total_connections'), app.pool.totalCount)
  t.equal(samples.get('trainload_db_pool_idle_connections'), app.pool.idleCount)
  t.equal(samples.get('trainload_db_pool_waiting_clients'), app.pool.waitingCount)
  t.equal(samples.get('trainload_db_pool_max_connections'), 7)
  t.ok(app.pool.totalCount >= 1, 'the pool is not trivially empty')

  t.ok(samples.get('trainload_db_query_duration_seconds_count{outcome="ok"}')! > 0)
  t.ok(samples.get('trainload_db_pool_acquire_wait_seconds_count{outcome="acquired"}')! > 0)
  t.ok(samples.get('trainload_db_connections_created_total')! >= 1)
  const statusRoute = 'trainload_http_request_duration_seconds_count{method="GET",route="/admin/database-optimization-status",status_code="200"}'
  t.equal(samples.get(statusRoute), 1, 'HTTP durations are labelled by route pattern and status')
  t.equal(samples.get('trainload_token_refresh_total{outcome="refreshed"}'), 0)
  t.ok([...samples.keys()].some(k => k.startsWith('trainload_db_statements_total{fingerprint=')), 'statements are counted per fingerprint')

  app.metrics.tokenRefreshes.inc({ outcome: 'invalidated' })
  const again = parseMetrics((await app.inject({ url: '/metrics', headers: admin })).body)
  t.equal(again.get('trainload_token_refresh_total{outcome="invalidated"}'), 1, 'the tokens feature can count refreshes')
})

t.test('an exhausted pool wait is a 503 with Retry-After, never a 500', async t => {
  const app = await buildLogged(t, { env: { DB_POOL_MAX: '1', DB_CONNECTION_TIMEOUT_MS: '200' } })
  const held = await app.pool.connect()
  t.teardown(() => held.release())
  const res = await app.inject({ url: '/admin/database-optimization-status', headers: admin })
  t.equal(res.statusCode, 503)
  t.equal(res.headers['retry-after'], '5')
  t.same(res.json(), { statusCode: 503, error: 'Service Unavailable', message: 'The database is unavailable; retry shortly.' })
})

t.test('log lines carry no admin token, and a logged Authorization header is redacted', async t => {
  const app = await buildLogged(t, {
    beforeReady: app => {
      app.get('/admin/log-probe', async request => {
        request.log.info({ headers: request.headers }, 'a careless log of the headers')
        throw new Error(`failure mentioning nothing secret ${request.headers['x-probe']}`)
      })
    }
  })
  const res = await app.inject({ url: '/admin/log-probe', headers: { ...admin, 'x-probe': '1' } })
  t.equal(res.statusCode, 500)
  t.notMatch(res.body, /failure mentioning/, 'a 5xx body hides internals')
  t.ok(logLines.length > 20, 'the log was captured')
  t.ok(logLines.some(line => line.includes('"authorization":"[redacted]"')), 'the header was redacted, not merely absent')
  const leaking = logLines.filter(line => line.includes(TEST_ADMIN_TOKEN))
  t.same(leaking, [], 'no line contains the admin token')
})
