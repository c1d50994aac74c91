import t from 'tap'
import { accessFor, parseBearer } from '../../src/plugins/app/auth.ts'
import { issueApiKey, revokeApiKeys } from '../../src/athletes/api-keys.ts'
import { build, TEST_ADMIN_TOKEN } from '../helper.ts'
import type { App } from '../../src/app.ts'

async function appWithProbeRoutes (t: Parameters<typeof build>[0]): Promise<App> {
  // No key cache: these tests revoke and stamp keys behind the app's back and read the result at once.
  return build(t, {
    env: { API_KEY_CACHE_MS: '0' },
    beforeReady: app => {
      app.get('/admin/probe', async request => ({ credential: request.credential }))
      app.get('/api/athletes/:athleteId/probe', async request => ({ credential: request.credential }))
    }
  })
}

async function createAthletes (app: App, count: number): Promise<number[]> {
  const rows = await app.db.insertInto('athletes')
    .values(Array.from({ length: count }, (_, i) => ({ name: `athlete ${i}` })))
    .returning('id').execute()
  return rows.map(r => r.id)
}

const bearer = (credential: string) => ({ authorization: `Bearer ${credential}` })

t.test('admin routes take only the admin token: every missing or wrong credential has the same 401 body', async t => {
  const app = await appWithProbeRoutes(t)
  const failures = await Promise.all([
    app.inject({ url: '/admin/probe' }),
    app.inject({ url: '/admin/probe', headers: bearer('wrong-token-' + 'y'.repeat(32)) }),
    app.inject({ url: '/admin/probe', headers: { authorization: 'Basic abc' } }),
    app.inject({ url: '/admin/probe', headers: bearer('tl_unknownkeyunknownkeyunknownkey') })
  ])
  for (const res of failures) {
    t.equal(res.statusCode, 401)
    t.same(res.json(), { statusCode: 401, error: 'Unauthorized', message: 'A valid bearer credential is required.' })
  }
  const ok = await app.inject({ url: '/admin/probe', headers: bearer(TEST_ADMIN_TOKEN) })
  t.equal(ok.statusCode, 200)
  t.same(ok.json(), { credential: { kind: 'admin' } })
})

t.test('an athlete key on an admin route is a 403 naming the admin token', async t => {
  const app = await appWithProbeRoutes(t)
  const [athlete] = await createAthletes(app, 1)
  const { apiKey } = await issueApiKey(app.db, athlete!)
  const res = await app.inject({ url: '/admin/probe', headers: bearer(apiKey) })
  t.equal(res.statusCode, 403)
  t.same(res.json(), { statusCode: 403, error: 'Forbidden', message: 'This route takes the admin token; an athlete API key cannot call it.' })
})

t.test('the bearer scheme is case-insensitive and spacing is read the same on admin and athlete routes', async t => {
  const app = await appWithProbeRoutes(t)
  const [athlete] = await createAthletes(app, 1)
  const { apiKey } = await issueApiKey(app.db, athlete!)
  const spellings = (credential: string) => [`Bearer ${credential}`, `bearer ${credential}`, `BEARER ${credential}`, `BeArEr  ${credential}`, `Bearer\t${credential}`]
  for (const authorization of spellings(TEST_ADMIN_TOKEN)) {
    t.equal((await app.inject({ url: '/admin/probe', headers: { authorization } })).statusCode, 200, `admin route: ${JSON.stringify(authorization.slice(0, 8))}`)
    t.equal((await app.inject({ url: `/api/athletes/${athlete}/probe`, headers: { authorization } })).statusCode, 200, `athlete route, admin token: ${JSON.stringify(authorization.slice(0, 8))}`)
  }
  for (const authorization of spellings(apiKey)) {
    t.equal((await app.inject({ url: `/api/athletes/${athlete}/probe`, headers: { authorization } })).statusCode, 200, `athlete route, key: ${JSON.stringify(authorization.slice(0, 8))}`)
  }
  for (const authorization of [`Bearer${TEST_ADMIN_TOKEN}`, `Bearer ${TEST_ADMIN_TOKEN} extra`, `Token ${TEST_ADMIN_TOKEN}`, TEST_ADMIN_TOKEN]) {
    t.equal((await app.inject({ url: '/admin/probe', headers: { authorization } })).statusCode, 401, `admin route refuses ${JSON.stringify(authorization.slice(0, 12))}`)
    t.equal((await app.inject({ url: `/api/athletes/${athlete}/probe`, headers: { authorization } })).statusCode, 401, `athlete route refuses ${JSON.stringify(authorization.slice(0, 12))}`)
  }
})

t.test('the bearer parser takes the scheme in any case and refuses anything that is not one credential', async t => {
  t.equal(parseBearer('Bearer abc'), 'abc')
  t.equal(parseBearer('bearer abc'), 'abc')
  t.equal(parseBearer('BEARER   abc'), 'abc')
  t.equal(parseBearer('Bearer abc '), 'abc', 'trailing space')
  t.equal(parseBearer('Bearer a b'), undefined)
  t.equal(parseBearer('Bearer '), undefined)
  t.equal(parseBearer('Bearerabc'), undefined)
  t.equal(parseBearer('Basic abc'), undefined)
  t.equal(parseBearer(undefined), undefined)
  t.equal(parseBearer('Bearer ' + 'x'.repeat(513)), undefined, 'longer than any credential')
})

t.test("athlete routes take that athlete's key or the admin token", async t => {
  const app = await appWithProbeRoutes(t)
  const [a, b] = await createAthletes(app, 2)
  const keyA = await issueApiKey(app.db, a!)
  const status = async (athleteId: number, headers?: Record<string, string>) =>
    (await app.inject({ url: `/api/athletes/${athleteId}/probe`, headers })).statusCode

  t.equal(await status(a!), 401, 'no credential')
  t.equal(await status(a!, bearer('tl_unknownkeyunknownkeyunknownkey')), 401, 'unknown key')
  t.equal(await status(a!, bearer(keyA.apiKey)), 200, "A's key on A")
  const seen = (await app.inject({ url: `/api/athletes/${a}/probe`, headers: bearer(keyA.apiKey) })).json()
  const keyRow = await app.db.selectFrom('api_keys').select('id').where('athlete_id', '=', a!).executeTakeFirstOrThrow()
  t.same(seen, { credential: { kind: 'athlete', athleteId: a, keyId: keyRow.id } }, 'the request carries the athlete and the key id')
  t.equal(await status(b!, bearer(keyA.apiKey)), 403, "A's key on B")
  t.equal(await status(b!, bearer(TEST_ADMIN_TOKEN)), 200, 'admin token on any athlete')

  t.equal(await revokeApiKeys(app.db, a!), 1)
  t.equal(await status(a!, bearer(keyA.apiKey)), 401, 'revoked key')
})

t.test('the guard follows the path: admin, athlete, or public', async t => {
  t.equal(accessFor('/admin/athletes'), 'admin')
  t.equal(accessFor('/metrics'), 'admin')
  t.equal(accessFor('/api/athletes/:athleteId/acwr'), 'athlete')
  t.equal(accessFor('/api/me'), 'credential')
  t.equal(accessFor('/health'), 'public')
  t.equal(accessFor('/auth/strava/callback'), 'public')
  t.equal(accessFor('/administrator'), 'public', 'a prefix match needs the slash')
})

t.test('only the SHA-256 of an API key is stored', async t => {
  const app = await appWithProbeRoutes(t)
  const [athlete] = await createAthletes(app, 1)
  const { apiKey, prefix } = await issueApiKey(app.db, athlete!)
  t.match(apiKey, /^tl_[A-Za-z0-9_-]{32}$/)
  t.equal(prefix, apiKey.slice(0, 11))
  const rows = await app.db.selectFrom('api_keys').selectAll().execute()
  t.equal(rows.length, 1)
  t.notMatch(JSON.stringify(rows), apiKey.slice(3), 'the key does not appear in the table')
  t.equal(rows[0]!.key_hash.length, 32)
})

t.test('using a key stamps last_used_at at most once a minute, not on every request', async t => {
  const app = await appWithProbeRoutes(t)
  const [athlete] = await createAthletes(app, 1)
  const { apiKey } = await issueApiKey(app.db, athlete!)
  const lastUsed = async () => (await app.db.selectFrom('api_keys').select('last_used_at').executeTakeFirstOrThrow()).last_used_at
  t.equal(await lastUsed(), null, 'an unused key')
  const use = () => app.inject({ url: `/api/athletes/${athlete}/probe`, headers: bearer(apiKey) })
  await use()
  const first = await lastUsed()
  t.ok(first, 'the first use is recorded')
  for (let i = 0; i < 5; i++) await use()
  t.same(await lastUsed(), first, 'uses within the minute write nothing')
  await app.db.updateTable('api_keys').set({ last_used_at: new Date(Date.now() - 2 * 60_000) }).execute()
  await use()
  t.ok((await lastUsed())!.getTime() > Date.now() - 60_000, 'a use after a minute records the new time')
})
