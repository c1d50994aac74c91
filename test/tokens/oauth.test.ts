import { sql } from 'kysely'
import t from 'tap'
import { findApiKey } from '../../src/athletes/api-keys.ts'
import { createState, isValidState, STATE_TTL_S } from '../../src/tokens/oauth.ts'
import { STATE_COOKIE } from '../../src/tokens/oauth-states.ts'
import { OAUTH_CALLBACK_LIMIT } from '../../src/tokens/oauth-routes.ts'
import { loadTokens } from '../../src/tokens/store.ts'
import { build, createTestDatabase, TEST_ADMIN_TOKEN } from '../helper.ts'
import type { App } from '../../src/app.ts'
import { startFake, stravaEnv } from './fixtures.ts'

const PUBLIC_URL = 'https://trainload.example.org'

/** The browser's side of a login: Strava's authorize URL, and the cookie that goes with it. */
async function startLogin (app: App): Promise<URL & { cookie: Record<string, string> }> {
  const res = await app.inject({ url: '/auth/strava' })
  if (res.statusCode !== 302) throw new Error(`GET /auth/strava answered ${res.statusCode}`)
  const set = res.cookies.find(c => c.name === STATE_COOKIE)
  return Object.assign(new URL(res.headers.location as string), { cookie: { cookie: `${STATE_COOKIE}=${set?.value}` } })
}

/** The cookie header a browser that started a login with this state would send. */
const cookieFor = (state: string) => ({ cookie: `${STATE_COOKIE}=${state}` })

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

t.test('without a Strava application configured the login is a 404 that names the settings, and sets no cookie', async t => {
  const app = await build(t)
  const res = await app.inject({ url: '/auth/strava' })
  t.equal(res.statusCode, 404)
  t.match(res.json().message, /STRAVA_CLIENT_ID and STRAVA_CLIENT_SECRET/)
  t.notOk(res.headers['set-cookie'], 'no state was issued')
  t.equal((await app.inject({ url: '/health' })).json().stravaLogin, false, '/health says the same')
})

t.test('the login sets an HttpOnly, SameSite=Lax cookie holding its state, Secure on an https PUBLIC_URL', async t => {
  const fake = await startFake(t)
  const app = await build(t, { env: { ...stravaEnv(fake), PUBLIC_URL } })
  const res = await app.inject({ url: '/auth/strava' })
  const state = new URL(res.headers.location as string).searchParams.get('state')
  const header = String(res.headers['set-cookie'])
  t.match(header, new RegExp(`^${STATE_COOKIE}=${state!.replaceAll('.', '\\.')};`))
  for (const attribute of ['HttpOnly', 'SameSite=Lax', 'Secure', 'Path=/auth/strava', `Max-Age=${STATE_TTL_S}`]) t.match(header, attribute)
  const local = await build(t, { env: { ...stravaEnv(fake), PUBLIC_URL: 'http://localhost:3000' } })
  t.notMatch(String((await local.inject({ url: '/auth/strava' })).headers['set-cookie']), 'Secure', 'a plain-http deployment still gets its cookie back')
})

t.test('the callback stores the tokens sealed, creates the athlete once, and issues a working API key', async t => {
  const fake = await startFake(t)
  const logs: string[] = []
  const app = await build(t, { env: { ...stravaEnv(fake), PUBLIC_URL }, onLog: line => logs.push(line) })

  const login = async () => {
    const started = await startLogin(app)
    const code = fake.issueCode(31337, { firstname: 'Ada', lastname: 'Runner' })
    return app.inject({ url: `/auth/strava/callback?state=${started.searchParams.get('state')}&code=${code}&scope=read,activity:read_all`, headers: started.cookie })
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
  const started = await startLogin(app)
  const authorize = await fetch(started, { redirect: 'manual' })
  t.equal(authorize.status, 302)
  const callback = new URL(authorize.headers.get('location')!)
  t.equal(callback.origin, PUBLIC_URL)
  const res = await app.inject({ url: callback.pathname + callback.search, headers: started.cookie })
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
    const res = await app.inject({ url: `/auth/strava/callback?state=${encodeURIComponent(candidate)}&code=${fake.issueCode(5)}&scope=read,activity:read`, headers: cookieFor(candidate) })
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
  const callback = (target: App, query: string) => {
    const state = createState(target.oauthStateKey)
    return target.inject({ url: `/auth/strava/callback?state=${state}&${query}`, headers: cookieFor(state) })
  }
  t.equal((await callback(app, 'code=unknown-code&scope=activity:read_all')).statusCode, 400)
  t.equal((await callback(app, 'error=access_denied')).statusCode, 400)

  const misconfigured = await build(t, { env: { ...stravaEnv(fake), STRAVA_CLIENT_SECRET: 'wrong' } })
  const res = await callback(misconfigured, `code=${fake.issueCode(6)}&scope=activity:read_all`)
  t.equal(res.statusCode, 502)
  t.same(await misconfigured.db.selectFrom('athletes').select('id').execute(), [])
  t.same(await app.db.selectFrom('athletes').select('id').execute(), [])
})

t.test('a state completes one login only: replaying it, even with its cookie, is a 400 and Strava is not called', async t => {
  const fake = await startFake(t)
  const databaseUrl = await createTestDatabase(t)
  const app = await build(t, { env: stravaEnv(fake), databaseUrl })
  const started = await startLogin(app)
  const state = started.searchParams.get('state')
  const replies = []
  for (const athlete of [41, 42, 43]) {
    replies.push(await app.inject({ url: `/auth/strava/callback?state=${state}&code=${fake.issueCode(athlete)}&scope=read,activity:read_all`, headers: started.cookie }))
  }
  t.same(replies.map(r => r.statusCode), [200, 400, 400])
  t.match(replies[1]!.json().message, /state has already been used/)
  t.equal(fake.calls.exchange, 1, 'only the first callback reached Strava')
  t.equal((await app.db.selectFrom('athletes').select('id').execute()).length, 1, 'one athlete logged in')

  const second = await build(t, { env: stravaEnv(fake), databaseUrl })
  const elsewhere = await second.inject({ url: `/auth/strava/callback?state=${state}&code=${fake.issueCode(44)}&scope=activity:read_all`, headers: started.cookie })
  t.equal(elsewhere.statusCode, 400, 'another instance refuses it too')
})

t.test('a state only completes the login in the browser that started it', async t => {
  const fake = await startFake(t)
  const app = await build(t, { env: stravaEnv(fake) })
  const victim = await startLogin(app)
  const attacker = await startLogin(app)
  const state = attacker.searchParams.get('state')
  const callback = (headers: Record<string, string>) =>
    app.inject({ url: `/auth/strava/callback?state=${state}&code=${fake.issueCode(51)}&scope=activity:read_all`, headers })
  for (const [headers, name] of [[{}, 'no cookie'], [victim.cookie, "another login's cookie"], [{ cookie: `${STATE_COOKIE}=forged` }, 'a forged cookie']] as const) {
    const res = await callback(headers)
    t.equal(res.statusCode, 400, name)
    t.match(res.json().message, /state does not belong to this browser/)
  }
  t.equal(fake.calls.exchange, 0)
  t.equal((await callback(attacker.cookie)).statusCode, 200, 'its own browser still completes it: a refused callback does not use the state')
})

t.test('a grant without activity access is a 400 naming the permission, with nothing stored', async t => {
  const fake = await startFake(t, { grantedScope: 'read' })
  const app = await build(t, { env: { ...stravaEnv(fake), PUBLIC_URL } })
  const started = await startLogin(app)
  const callback = new URL((await fetch(started, { redirect: 'manual' })).headers.get('location')!)
  t.equal(callback.searchParams.get('scope'), 'read', "the athlete unticked Strava's activity permission")
  const res = await app.inject({ url: callback.pathname + callback.search, headers: started.cookie })
  t.equal(res.statusCode, 400)
  t.match(res.json().message, /^scope: .*activity:read_all/)
  t.equal(fake.calls.exchange, 0, 'the code is never exchanged')
  for (const table of ['athletes', 'strava_tokens', 'api_keys']) {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}`.execute(app.db)
    t.equal(rows[0]!.n, 0, `nothing in ${table}`)
  }

  fake.state.grantedScope = 'read,activity:read'
  const again = await startLogin(app)
  const granted = new URL((await fetch(again, { redirect: 'manual' })).headers.get('location')!)
  t.equal((await app.inject({ url: granted.pathname + granted.search, headers: again.cookie })).statusCode, 200, 'activity:read is enough')
})

t.test('callbacks are limited per client address before any call to Strava', async t => {
  const fake = await startFake(t)
  const app = await build(t, { env: stravaEnv(fake) })
  const garbage = (remoteAddress: string) => {
    const state = createState(app.oauthStateKey)
    return app.inject({ url: `/auth/strava/callback?state=${state}&code=garbage-${state.slice(-6)}&scope=activity:read_all`, headers: cookieFor(state), remoteAddress })
  }
  const replies = []
  for (let i = 0; i < 100; i++) replies.push(await garbage('10.0.5.5'))
  const statuses = replies.map(r => r.statusCode)
  t.equal(statuses.filter(s => s === 400).length, OAUTH_CALLBACK_LIMIT.max, 'the first callbacks are answered')
  t.equal(statuses.filter(s => s === 429).length, 100 - OAUTH_CALLBACK_LIMIT.max, 'the rest are 429s')
  const limited = replies.at(-1)!
  t.ok(Number(limited.headers['retry-after']) > 0, 'with Retry-After')
  t.match(limited.json(), { statusCode: 429, error: 'Too Many Requests' })
  t.equal(fake.calls.exchange, OAUTH_CALLBACK_LIMIT.max, `100 callbacks made ${OAUTH_CALLBACK_LIMIT.max} calls to Strava`)
  t.equal((await garbage('10.0.5.6')).statusCode, 400, 'another address is answered')
})

t.test('an absurd token expiry from Strava is a 502 naming it, and nothing is stored', async t => {
  // 3e11 s from now is in the year 11476.
  const fake = await startFake(t, { expiresInS: 300_000_000_000 })
  const app = await build(t, { env: stravaEnv(fake) })
  const state = createState(app.oauthStateKey)
  const res = await app.inject({ url: `/auth/strava/callback?state=${state}&code=${fake.issueCode(61)}&scope=activity:read_all`, headers: cookieFor(state) })
  t.equal(res.statusCode, 502)
  t.match(res.json().message, /expires_at/)
  t.match(res.json().message, /nothing was stored/)
  t.same(await app.db.selectFrom('strava_tokens').select('athlete_id').execute(), [])
  t.same(await app.db.selectFrom('athletes').select('id').execute(), [])
})
