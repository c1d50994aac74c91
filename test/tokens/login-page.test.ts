import t from 'tap'
import type { App } from '../../src/app.ts'
import { STATE_COOKIE } from '../../src/tokens/oauth-states.ts'
import { prefersHtml } from '../../src/tokens/login-page.ts'
import { build } from '../helper.ts'
import { startFake, stravaEnv } from './fixtures.ts'

const PUBLIC_URL = 'https://trainload.example.org'
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8'

/** A login started and sent back by the fake Strava: the callback URL and the cookie its browser holds. */
async function callbackOf (app: App, fake: Awaited<ReturnType<typeof startFake>>, stravaId: number) {
  const started = await app.inject({ url: '/auth/strava' })
  const state = new URL(started.headers.location as string).searchParams.get('state')!
  const code = fake.issueCode(stravaId)
  return { url: `/auth/strava/callback?state=${state}&code=${code}&scope=read,activity:read_all`, cookie: `${STATE_COOKIE}=${state}` }
}

t.test('Accept decides between the page and the JSON: a browser\'s gets the page, none, */* and JSON get JSON', async t => {
  t.ok(prefersHtml(BROWSER_ACCEPT))
  t.ok(prefersHtml('text/html'))
  t.notOk(prefersHtml(undefined))
  t.notOk(prefersHtml('*/*'))
  t.notOk(prefersHtml('application/json'))
  t.notOk(prefersHtml('application/json, text/html;q=0.5'))
  t.ok(prefersHtml('application/json;q=0.5, text/*'))
})

t.test('a browser\'s callback is a no-store page holding the key for /login-complete.js; an API client\'s JSON is unchanged', async t => {
  const fake = await startFake(t)
  const logs: string[] = []
  const app = await build(t, { env: { ...stravaEnv(fake), PUBLIC_URL }, onLog: line => logs.push(line) })

  const browserLogin = await callbackOf(app, fake, 4001)
  const page = await app.inject({ url: browserLogin.url, headers: { cookie: browserLogin.cookie, accept: BROWSER_ACCEPT } })
  t.equal(page.statusCode, 200)
  t.match(page.headers['content-type'], /^text\/html/)
  t.equal(page.headers['cache-control'], 'no-store', 'no cache keeps the key')
  t.match(page.headers.vary, /Accept/)
  t.match(page.headers['content-security-policy'], /script-src 'self'/, 'the page is served under the CSP')
  const key = /<meta name="trainload-api-key" content="(tl_[^"]+)">/.exec(page.body)?.[1]
  t.ok(key, 'the key is in a <meta> for the script to read')
  t.match(page.body, /<meta name="trainload-athlete-id" content="\d+">/)
  t.match(page.body, /<script type="module" src="\/login-complete\.js"><\/script>/)
  t.notMatch(page.body, /<script>|\son\w+=/, 'no inline script or handler')
  const me = await app.inject({ url: '/api/me', headers: { authorization: `Bearer ${key}` } })
  t.equal(me.statusCode, 200, 'the key on the page works')

  for (const accept of [undefined, 'application/json', '*/*']) {
    const apiLogin = await callbackOf(app, fake, 4002)
    const reply = await app.inject({ url: apiLogin.url, headers: { cookie: apiLogin.cookie, ...(accept ? { accept } : {}) } })
    t.equal(reply.statusCode, 200)
    t.match(reply.headers['content-type'], /^application\/json/, `Accept ${accept ?? 'absent'} keeps the JSON`)
    t.same(Object.keys(reply.json()).sort(), ['apiKey', 'athleteId'])
    t.match(reply.json().apiKey, /^tl_/)
  }
  t.notOk(logs.some(line => line.includes(key!)), 'no log line carries the key')
  const served = await app.inject({ url: '/login-complete.js' })
  t.equal(served.statusCode, 200, 'the script the page loads is served')
})

t.test('a browser\'s refused callback is a page with the message and a way back, under the same status', async t => {
  const fake = await startFake(t, { grantedScope: 'read' })
  const app = await build(t, { env: { ...stravaEnv(fake), PUBLIC_URL } })

  const badState = await app.inject({ url: '/auth/strava/callback?state=forged&code=x', headers: { accept: BROWSER_ACCEPT } })
  t.equal(badState.statusCode, 400)
  t.match(badState.headers['content-type'], /^text\/html/)
  t.match(badState.body, /state is invalid or expired/)
  t.match(badState.body, /<a href="\/">Back to trainload<\/a>/)

  const login = await callbackOf(app, fake, 4003)
  const noScope = await app.inject({ url: login.url.replace('scope=read,activity:read_all', 'scope=read'), headers: { cookie: login.cookie, accept: BROWSER_ACCEPT } })
  t.equal(noScope.statusCode, 400)
  t.match(noScope.body, /permission to read your activities/)
  t.notMatch(noScope.body, /trainload-api-key/, 'nothing signs the browser in')

  const missing = await app.inject({ url: '/auth/strava/callback', headers: { accept: BROWSER_ACCEPT } })
  t.equal(missing.statusCode, 400, 'a callback without its state, refused by the schema, is a page too')
  t.match(missing.body, /state/)
  t.match(missing.headers['content-type'], /^text\/html/)

  const json = await app.inject({ url: '/auth/strava/callback?state=forged&code=x' })
  t.same(json.json(), { statusCode: 400, error: 'Bad Request', message: 'state is invalid or expired; start again at /auth/strava' }, 'an API client still reads the JSON error')
})

t.test('/health says whether a Strava application is configured, so the dashboard offers the login only then', async t => {
  const fake = await startFake(t)
  const configured = await build(t, { env: stravaEnv(fake) })
  t.equal((await configured.inject({ url: '/health' })).json().stravaLogin, true)
  const bare = await build(t, { env: { STRAVA_CLIENT_ID: '', STRAVA_CLIENT_SECRET: '' } })
  t.equal((await bare.inject({ url: '/health' })).json().stravaLogin, false)
})
