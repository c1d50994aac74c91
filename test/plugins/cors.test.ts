import t from 'tap'
import { allowedOrigins } from '../../src/plugins/external/cors.ts'
import { build } from '../helper.ts'

t.test('CORS_ORIGINS is a comma-separated list; empty means none', async t => {
  t.same(allowedOrigins(''), [])
  t.same(allowedOrigins(' https://a.example , https://b.example,'), ['https://a.example', 'https://b.example'])
})

t.test('an allowed origin gets the CORS headers and another origin does not', async t => {
  const app = await build(t, { env: { CORS_ORIGINS: 'https://coach.example,https://team.example' } })
  const allowed = await app.inject({ url: '/health', headers: { origin: 'https://team.example' } })
  t.equal(allowed.headers['access-control-allow-origin'], 'https://team.example')
  const other = await app.inject({ url: '/health', headers: { origin: 'https://evil.example' } })
  t.equal(other.headers['access-control-allow-origin'], undefined)

  const preflight = await app.inject({
    method: 'OPTIONS',
    url: '/api/athletes/1/activities',
    headers: { origin: 'https://coach.example', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'authorization,content-type' }
  })
  t.equal(preflight.statusCode, 204)
  t.equal(preflight.headers['access-control-allow-origin'], 'https://coach.example')
  t.match(preflight.headers['access-control-allow-methods'], /PUT/)
  t.match(preflight.headers['access-control-allow-headers'], /Authorization/)
})

t.test('with no CORS_ORIGINS no origin gets cross-origin access', async t => {
  const app = await build(t)
  const res = await app.inject({ url: '/health', headers: { origin: 'https://coach.example' } })
  t.equal(res.statusCode, 200)
  t.equal(res.headers['access-control-allow-origin'], undefined)
})
