import t from 'tap'
import { build } from '../helper.ts'

const sqlError = (code: string) => Object.assign(new Error(`internal detail for ${code}: relation athletes`), { code })

t.test('statement timeout, lock timeout, deadlock and serialization failure are 503s with Retry-After, never 500', async t => {
  const codes = ['57014', '55P03', '40P01', '40001']
  const app = await build(t, {
    beforeReady: app => { app.get('/test/fails-with/:code', async request => { throw sqlError((request.params as { code: string }).code) }) }
  })
  for (const code of codes) {
    const res = await app.inject({ url: `/test/fails-with/${code}` })
    t.equal(res.statusCode, 503, code)
    t.ok(Number(res.headers['retry-after']) > 0, `${code}: Retry-After`)
    t.match(res.json(), { statusCode: 503, error: 'Service Unavailable', message: /retry shortly/ }, `${code}: the API's error shape`)
    t.notMatch(res.body, /internal detail|athletes/, `${code}: no internals`)
  }
})

t.test('a client error keeps the headers it carries, such as a 429\'s Retry-After', async t => {
  const app = await build(t, {
    beforeReady: app => {
      app.get('/test/busy', async () => { throw app.httpErrors.createError(429, 'too busy', { headers: { 'retry-after': '2' } }) })
    }
  })
  const res = await app.inject({ url: '/test/busy' })
  t.equal(res.statusCode, 429)
  t.equal(res.headers['retry-after'], '2')
  t.same(res.json(), { statusCode: 429, error: 'Too Many Requests', message: 'too busy' })
})
