import t from 'tap'
import { build, startOwnDatabaseServer, TEST_ADMIN_TOKEN } from '../helper.ts'

async function eventually (attempt: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  for (const started = Date.now(); Date.now() - started < timeoutMs;) {
    if (await attempt()) return true
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  return attempt()
}

t.test('when the database stops, /health turns 503 within a second, and the same app recovers when it is back', async t => {
  const server = await startOwnDatabaseServer(t)
  const { url } = server
  const port = Number(new URL(url).port)
  const app = await build(t, { databaseUrl: url, env: { LOAD_SHEDDING: 'true' } })
  const admin = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` }
  t.equal((await app.inject({ url: '/health' })).statusCode, 200)

  await server.stop()
  const started = performance.now()
  const down = await app.inject({ url: '/health' })
  const elapsedMs = performance.now() - started
  t.equal(down.statusCode, 503)
  t.equal(down.json().database.status, 'down')
  t.equal(down.json().status, 'unavailable')
  t.ok(down.headers['retry-after'], 'the 503 says when to retry')
  t.ok(elapsedMs < 2500, `/health answered in ${Math.round(elapsedMs)} ms`)
  const status = await app.inject({ url: '/admin/database-optimization-status', headers: admin })
  t.equal(status.statusCode, 503, 'other routes answer 503 too, never 500')
  t.ok(status.headers['retry-after'])
  const metricsShed = async () => {
    const res = await app.inject({ url: '/metrics', headers: admin })
    return res.statusCode === 503 && Number(res.headers['retry-after']) > 0
  }
  t.ok(await eventually(metricsShed, 8000), 'while the database stays down, load shedding turns away even routes that need no query')

  t.equal(await server.start(), port, 'the server is back on the same port')
  t.ok(await eventually(async () => (await app.inject({ url: '/health' })).statusCode === 200, 5000), '/health is 200 again')
  t.ok(await eventually(async () => (await app.inject({ url: '/admin/database-optimization-status', headers: admin })).statusCode === 200, 5000),
    'routes that use the database serve again, without restarting the app')
  t.ok(await eventually(async () => (await app.inject({ url: '/metrics', headers: admin })).statusCode === 200, 5000),
    'load shedding stops once the database answers')
})
