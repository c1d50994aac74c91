import t from 'tap'
import { accessFor } from '../../src/plugins/app/auth.ts'
import { issueApiKey, revokeApiKeys } from '../../src/athletes/api-keys.ts'
import { build, TEST_ADMIN_TOKEN } from '../helper.ts'
import type { App } from '../../src/app.ts'

async function appWithProbeRoutes (t: Parameters<typeof build>[0]): Promise<App> {
  return build(t, {
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

t.test('admin routes take only the admin token, and every failure has the same body', async t => {
  const app = await appWithProbeRoutes(t)
  const [athlete] = await createAthletes(app, 1)
  const { apiKey } = await issueApiKey(app.db, athlete!)

  const failures = await Promise.all([
    app.inject({ url: '/admin/probe' }),
    app.inject({ url: '/admin/probe', headers: bearer('wrong-token-' + 'y'.repeat(32)) }),
    app.inject({ url: '/admin/probe', headers: { authorization: 'Basic abc' } }),
    app.inject({ url: '/admin/probe', headers: bearer(apiKey) })
  ])
  for (const res of failures) {
    t.equal(res.statusCode, 401)
    t.same(res.json(), { statusCode: 401, error: 'Unauthorized', message: 'A valid bearer credential is required.' })
  }
  const ok = await app.inject({ url: '/admin/probe', headers: bearer(TEST_ADMIN_TOKEN) })
  t.equal(ok.statusCode, 200)
  t.same(ok.json(), { credential: { kind: 'admin' } })
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
  t.equal(await status(b!, bearer(keyA.apiKey)), 403, "A's key on B")
  t.equal(await status(b!, bearer(TEST_ADMIN_TOKEN)), 200, 'admin token on any athlete')

  t.equal(await revokeApiKeys(app.db, a!), 1)
  t.equal(await status(a!, bearer(keyA.apiKey)), 401, 'revoked key')
})

t.test('the guard follows the path: admin, athlete, or public', async t => {
  t.equal(accessFor('/admin/athletes'), 'admin')
  t.equal(accessFor('/metrics'), 'admin')
  t.equal(accessFor('/api/athletes/:athleteId/acwr'), 'athlete')
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
