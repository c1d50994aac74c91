import { getHeapStatistics } from 'node:v8'
import t, { type Test } from 'tap'
import { build } from '../helper.ts'
import { adminHeaders } from '../fixtures.ts'

t.test('GET /health answers 200 with the database up and the pool figures', async t => {
  const app = await build(t, { env: { DB_POOL_MAX: '4' } })
  const res = await app.inject({ url: '/health' })
  t.equal(res.statusCode, 200)
  const body = res.json()
  t.equal(body.status, 'ok')
  t.equal(body.database.status, 'up')
  t.type(body.database.latencyMs, 'number')
  t.ok(body.database.latencyMs >= 0)
  t.same(Object.keys(body.pool).sort(), ['idle', 'max', 'total', 'waiting'])
  t.equal(body.pool.max, 4)
  t.ok(body.pool.total >= 1, 'the health query opened a connection')
})

t.test('GET /health needs no credential', async t => {
  const app = await build(t)
  const res = await app.inject({ url: '/health', headers: { authorization: 'Bearer nonsense' } })
  t.equal(res.statusCode, 200)
})

/** Polls `attempt` every 100 ms until it holds, for at most `limitMs`; load shedding samples once a second. */
async function eventually (attempt: () => Promise<boolean>, limitMs: number): Promise<boolean> {
  for (const started = Date.now(); Date.now() - started < limitMs;) {
    if (await attempt()) return true
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  return attempt()
}

/** Makes under-pressure's next memory sample read a heap at its V8 limit, until the test ends. */
function reportFullHeap (t: Test) {
  const realMemoryUsage = process.memoryUsage
  const heapUsed = getHeapStatistics().heap_size_limit
  const fullHeap = Object.assign(() => ({ ...realMemoryUsage(), heapUsed }), { rss: realMemoryUsage.rss })
  process.memoryUsage = fullHeap
  const restore = () => { process.memoryUsage = realMemoryUsage }
  t.teardown(restore)
  return restore
}

t.test('while load shedding is on, /health answers its own 503 shape with Retry-After, not the overload error', async t => {
  const app = await build(t, { env: { LOAD_SHEDDING: 'true' } })
  t.equal((await app.inject({ url: '/health' })).statusCode, 200)
  const restore = reportFullHeap(t)
  t.ok(await eventually(async () => (await app.inject({ url: '/health' })).statusCode === 503, 10_000), '/health turns 503 once the heap reads full')

  const health = await app.inject({ url: '/health' })
  t.equal(health.statusCode, 503)
  t.ok(Number(health.headers['retry-after']) > 0, 'the 503 says when to retry')
  const body = health.json()
  t.equal(body.status, 'unavailable')
  t.equal(body.loadShedding, 'heapUsedBytes')
  t.equal(body.database.status, 'up', 'the database itself still answers')
  t.same(Object.keys(body.pool).sort(), ['idle', 'max', 'total', 'waiting'])
  const other = await app.inject({ url: '/metrics', headers: adminHeaders })
  t.equal(other.statusCode, 503, 'other routes are shed with the overload error')
  t.match(other.json(), { statusCode: 503, error: 'Service Unavailable' })

  restore()
  t.ok(await eventually(async () => (await app.inject({ url: '/health' })).statusCode === 200, 10_000), '/health is 200 again once the pressure is gone')
})
