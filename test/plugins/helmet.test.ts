import t from 'tap'
import { build } from '../helper.ts'

const directives = (header: unknown) => new Map(String(header).split(';').map(part => part.trim()).filter(Boolean)
  .map(part => { const [name, ...values] = part.split(/\s+/); return [name!, values.join(' ')] as const }))

t.test('every reply, page or API or error, carries the CSP, frame-ancestors none and nosniff', async t => {
  const app = await build(t)
  for (const url of ['/', '/index.html', '/docs/static/index.html', '/docs/json', '/health', '/api/athletes/1', '/no-such-page']) {
    const res = await app.inject({ url })
    t.equal(res.headers['x-content-type-options'], 'nosniff', url)
    t.equal(res.headers['x-frame-options'], 'DENY', url)
    const csp = directives(res.headers['content-security-policy'])
    t.equal(csp.get('frame-ancestors'), "'none'", `${url}: no page may be framed`)
    t.equal(csp.get('script-src'), "'self'", `${url}: scripts only from this origin, none inline`)
    t.match(csp.get('style-src'), /^'self' 'sha256-[A-Za-z0-9+/]{43}='$/, `${url}: styles only from this origin, and one hashed inline style`)
    t.equal(csp.get('object-src'), "'none'", url)
    t.notOk(String(res.headers['content-security-policy']).includes('unsafe'), `${url}: nothing unsafe allowed`)
  }
})
