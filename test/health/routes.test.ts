import t from 'tap'
import { build } from '../helper.ts'

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
