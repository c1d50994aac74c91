import t from 'tap'
import { findApiKey } from '../../src/athletes/api-keys.ts'
import { createState, isValidState, STATE_TTL_S } from '../../src/tokens/oauth.ts'
import { loadTokens } from '../../src/tokens/store.ts'
import { build, TEST_ADMIN_TOKEN } from '../helper.ts'
import type { App } from '../../src/app.ts'
import { startFake, stravaEnv } from './fixtures.ts'

const PUBLIC_URL = 'https://trainload.example.org'

async function startLogin (app: App): Promise<URL> {
  const res = await app.inject({ url: '/auth/strava' })
  if (res.statusCode !== 302) throw new Error(`GET /auth/strava answered ${res.statusCode}`)
  return new URL(res.headers.location as string)
}

t.test('the login redirects to Strava with the client id, callback, scope and a signed state', async t => {
  const fake = await startFake(t)
  const app = await build(t, { env: { ...stravaEnv(fake), PUBLIC_URL } })
  const location = await startLogin(app)
  t.equal(location.origin + location.pathname, `${fake.url}/oauth/authorize`)
  t.equal(location.searchParams.get('client_id'), fake.clientId)
  t.equal(location.searchParams.get('redirect_uri'), `${PUBLIC_URL}/auth/strava/callback`)
  t.equal(location.searchParams.get('response_type'), 'code')
  t.equal(location.searchParams.get('scope'), 'read,activity:read_all')
  t.ok(isValidState(app.oauthStateKey, location.searchParams.get('state')!))
})

t.test('the callback stores the tokens sealed, creates the athlete once, and issues a working API key', async t => {
  const fake = await startFake(t)
  const logs: string[] = []
  const app = await build(t, { env: { ...stravaEnv(fake), PUBLIC_URL }, onLog: line => logs.push(line) })

  const login = async () => {
    const state = (await startLogin(app)).searchParams.get('state')!
    const code = fake.issueCode(31337, { firstname: 'Ada', lastname: 'Runner' })
    return app.inject({ url: `/auth/strava/callback?state=${state}&code=${code}&scope=read,activity:read_all` })
  }
  const first = await login()
  t.equal(first.statusCode, 200)
  const { athleteId, apiKey } = first.json()
  t.equal((await findApiKey(app.db, apiKey))?.athleteId, athleteId)
  t.match(await app.db.selectFrom('athletes').selectAll().where('id', '=', athleteId).executeTakeFirst(), { strava_athlete_id: 31337, name: 'Ada Runner' })
  const token = await app.db.selectFrom('strava_tokens').selectAll().where('athlete_id', '=', athleteId).executeTakeFirstOrThrow()
  t.equal(token.scope, 'read,activity:read_all')
  t.equal((await loadTokens(app.db, app.tokenCipher, [athleteId])).get(athleteId)!.refreshToken, fake.currentRefreshToken(31337))
  t.notMatch(JSON.stringify(token), /fake-(access|refresh)-/)

  const second = await login()
  t.equal(second.json().athleteId, athleteId, 'a returning athlete keeps their row')
  t.not(second.json().apiKey, apiKey)
  t.equal((await loadTokens(app.db, app.tokenCipher, [athleteId])).get(athleteId)!.refreshToken, fake.currentRefreshToken(31337))
  t.notMatch(logs.join(''), /fake-(access|refresh)-|tl_[A-Za-z0-9_-]{20}/, 'no token or API key in the logs')
  t.notMatch(logs.join(''), apiKey)
})

t.test('the whole login through Strava\'s authorize page works, and revoking access there invalidates the token on the next refresh', async t => {
  const fake = await startFake(t)
  const app = await build(t, { env: { ...stravaEnv(fake), PUBLIC_URL } })
  const authorize = await fetch(await startLogin(app), { redirect: 'manual' })
  t.equal(authorize.status, 302)
  const callback = new URL(authorize.headers.get('location')!)
  t.equal(callback.origin, PUBLIC_URL)
  const res = await app.inject({ url: callback.pathname + callback.search })
  t.equal(res.statusCode, 200)
  const { athleteId } = res.json()

  const { accessToken } = (await loadTokens(app.db, app.tokenCipher, [athleteId])).get(athleteId)!
  const deauthorize = await fetch(`${fake.url}/oauth/deauthorize`, { method: 'POST', body: new URLSearchParams({ access_token: accessToken }) })
  t.equal(deauthorize.status, 200)
  const refresh = await app.inject({ method: 'POST', url: '/admin/batch-refresh-tokens', headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` }, payload: { withinMinutes: 400 } })
  t.match(refresh.json(), { checked: 1, refreshed: 0, invalidated: 1 })
})

t.test('a tampered, foreign or expired state is a 400 and nothing is exchanged', async t => {
  const fake = await startFake(t)
  const app = await build(t, { env: stravaEnv(fake) })
  const state = (await startLogin(app)).searchParams.get('state')!
  const [expiry, nonce, signature] = state.split('.')
  const bad = [
    `${Number(expiry) + 3600}.${nonce}.${signature}`,
    `${expiry}.${nonce}.${signature!.slice(0, -2)}AA`,
    createState(Buffer.alloc(32, 7)),
    createState(app.oauthStateKey, Date.now() - (STATE_TTL_S + 1) * 1000),
    'not-a-state'
  ]
  for (const candidate of bad) {
    const res = await app.inject({ url: `/auth/strava/callback?state=${encodeURIComponent(candidate)}&code=${fake.issueCode(5)}` })
    t.equal(res.statusCode, 400)
    t.match(res.json().message, /state/)
  }
  t.equal((await app.inject({ url: `/auth/strava/callback?code=${fake.issueCode(5)}` })).statusCode, 400, 'a missing state')
  t.equal(fake.calls.exchange, 0)
  t.same(await app.db.selectFrom('athletes').select('id').execute(), [])
})

t.test('a rejected or denied code is a 400, and bad client credentials a 502, with nothing written', async t => {
  const fake = await startFake(t)
  const app = await build(t, { env: stravaEnv(fake) })
  const state = () => createState(app.oauthStateKey)
  t.equal((await app.inject({ url: `/auth/strava/callback?state=${state()}&code=unknown-code` })).statusCode, 400)
  t.equal((await app.inject({ url: `/auth/strava/callback?state=${state()}&error=access_denied` })).statusCode, 400)

  const misconfigured = await build(t, { env: { ...stravaEnv(fake), STRAVA_CLIENT_SECRET: 'wrong' } })
  const res = await misconfigured.inject({ url: `/auth/strava/callback?state=${createState(misconfigured.oauthStateKey)}&code=${fake.issueCode(6)}` })
  t.equal(res.statusCode, 502)
  t.same(await misconfigured.db.selectFrom('athletes').select('id').execute(), [])
  t.same(await app.db.selectFrom('athletes').select('id').execute(), [])
})
