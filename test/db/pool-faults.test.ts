import { sql } from 'kysely'
import pg from 'pg'
import t from 'tap'
import type { App } from '../../src/app.ts'
import { build, createTestDatabase, TEST_ADMIN_TOKEN } from '../helper.ts'

/** A route that holds a pooled connection for `seconds`, as a slow request would. */
function holdRoute (app: App): void {
  app.get('/test/hold', async request => {
    const seconds = Number((request.query as { seconds?: string }).seconds ?? '0.2')
    await sql`select pg_sleep(${seconds})`.execute(app.db)
    return { held: seconds }
  })
}

async function waitFor (condition: () => boolean, timeoutMs: number): Promise<boolean> {
  for (const started = Date.now(); Date.now() - started < timeoutMs; await new Promise(resolve => setTimeout(resolve, 20))) {
    if (condition()) return true
  }
  return condition()
}

t.test('a starved pool answers 200 or 503 with Retry-After, never 500, and never hangs', async t => {
  // A second of connection timeout, not less: on a loaded machine opening a connection (and its
  // SCRAM exchange) at start-up can itself take a few hundred milliseconds.
  const app = await build(t, { env: { DB_POOL_MAX: '2', DB_CONNECTION_TIMEOUT_MS: '1000' }, beforeReady: holdRoute })
  // Open both connections first, so that the burst measures waiting, not connecting.
  await Promise.all([app.inject({ url: '/test/hold?seconds=0' }), app.inject({ url: '/test/hold?seconds=0' })])
  const started = Date.now()
  const replies = await Promise.all(Array.from({ length: 50 }, () => app.inject({ url: '/test/hold?seconds=0.5' })))
  const elapsedMs = Date.now() - started

  const statuses = replies.map(res => res.statusCode)
  t.same(statuses.filter(s => s !== 200 && s !== 503), [], 'every request ends in 200 or 503')
  const unavailable = replies.filter(res => res.statusCode === 503)
  t.ok(unavailable.length >= 1, 'some requests are turned away')
  t.ok(statuses.includes(200), 'some requests are served')
  t.ok(unavailable.every(res => Number(res.headers['retry-after']) > 0), 'every 503 carries Retry-After')
  t.ok(elapsedMs < 20_000, `all 50 settled in ${elapsedMs} ms`)

  t.equal(app.pool.totalCount <= 2, true, 'the pool never grew past its maximum')
  t.equal(app.pool.waitingCount, 0, 'nobody is left waiting')
  const after = await app.inject({ url: '/test/hold?seconds=0' })
  t.equal(after.statusCode, 200, 'the pool serves again once the burst is over')

  const status = (await app.inject({ url: '/admin/database-optimization-status', headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })).json()
  t.ok(status.pool.errors >= unavailable.length, 'each timed-out checkout is counted')
  t.ok(status.pool.acquireWaitMs.max >= 990, 'the longest wait reached the connection timeout')
})

t.test('terminated backends are replaced: later requests succeed and the process lives on', async t => {
  const databaseUrl = await createTestDatabase(t)
  const app = await build(t, { databaseUrl, env: { DB_POOL_MAX: '4' }, beforeReady: holdRoute })
  await Promise.all(Array.from({ length: 4 }, () => app.inject({ url: '/test/hold?seconds=0.05' })))
  t.equal(app.pool.totalCount, 4, 'the pool holds four connections')

  const inFlight = app.inject({ url: '/test/hold?seconds=5' })
  await waitFor(() => app.pool.idleCount === 3, 2000)
  const killer = new pg.Client({ connectionString: databaseUrl })
  await killer.connect()
  t.teardown(() => killer.end())
  const { rows } = await killer.query<{ terminated: number }>(`
    select count(*)::int as terminated from (
      select pg_terminate_backend(pid) from pg_stat_activity
       where application_name = 'trainload' and datname = current_database() and pid <> pg_backend_pid()
    ) killed`)
  t.equal(rows[0]!.terminated, 4, 'every backend of the pool was terminated')

  const interrupted = await inFlight
  t.equal(interrupted.statusCode, 503, 'the request whose backend died gets a 503, not a 500')
  t.ok(await waitFor(() => app.pool.totalCount === 0, 2000), 'the pool dropped the dead connections')

  const later = await Promise.all(Array.from({ length: 6 }, () => app.inject({ url: '/test/hold?seconds=0.01' })))
  t.same(later.map(res => res.statusCode), [200, 200, 200, 200, 200, 200], 'later requests succeed')
  t.ok(app.poolStatistics.errors >= 3, 'the lost idle connections are counted as errors')
  t.ok(app.poolStatistics.connectionsRemoved >= 4)
  const health = await app.inject({ url: '/health' })
  t.equal(health.statusCode, 200)
})
