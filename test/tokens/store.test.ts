import { sql } from 'kysely'
import t from 'tap'
import { loadTokens } from '../../src/tokens/store.ts'
import { build, TEST_ADMIN_TOKEN } from '../helper.ts'
import type { App } from '../../src/app.ts'
import { adminHeaders } from './fixtures.ts'

const headers = adminHeaders(TEST_ADMIN_TOKEN)
const expiresAt = Math.floor(Date.now() / 1000) + 3600

async function createAthletes (app: App, count: number) {
  return app.db.insertInto('athletes')
    .values(Array.from({ length: count }, (_, i) => ({ strava_athlete_id: 500 + i, name: `athlete ${i}` })))
    .returning(['id', 'strava_athlete_id', 'name']).execute()
}

const plainTokens = (ids: number[]) => ids.map(athleteId => ({
  athleteId,
  accessToken: `plain-access-${athleteId}-abcdef0123456789`,
  refreshToken: `plain-refresh-${athleteId}-abcdef0123456789`,
  expiresAt,
  scope: 'read,activity:read_all'
}))

async function dump (app: App, table: 'strava_tokens' | 'token_events'): Promise<string> {
  const { rows } = await sql<{ dump: string }>`select coalesce(json_agg(t), '[]')::text as dump from ${sql.table(table)} t`.execute(app.db)
  return rows[0]!.dump
}

t.test('saved tokens are stored sealed: no plaintext anywhere in strava_tokens or token_events', async t => {
  const lines: string[] = []
  const app = await build(t, { onLog: line => lines.push(line) })
  const ids = (await createAthletes(app, 3)).map(a => a.id)
  const tokens = plainTokens(ids)
  const res = await app.inject({ method: 'PUT', url: '/admin/strava-tokens', headers, payload: { tokens } })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { saved: 3 })

  const stored = await dump(app, 'strava_tokens') + await dump(app, 'token_events')
  for (const token of tokens) {
    for (const secret of [token.accessToken, token.refreshToken]) {
      t.notOk(stored.includes(secret), 'the token is not stored in plaintext')
      t.notOk(stored.includes(secret.slice(6, 24)), 'not even a fragment of it')
      t.notOk(lines.join('').includes(secret.slice(6, 24)), 'nor logged')
      t.notOk(res.body.includes(secret.slice(6, 24)), 'nor echoed')
    }
  }
  const rows = await app.db.selectFrom('strava_tokens').select(['access_token', 'refresh_token']).execute()
  for (const row of rows) t.match(row.refresh_token, /^v1\.[A-Za-z0-9_-]{8}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/)

  const loaded = await loadTokens(app.db, app.tokenCipher, ids)
  t.same([...loaded.values()].sort((a, b) => a.athleteId - b.athleteId), tokens.map(token => ({ ...token, status: 'active' })),
    'batch load gives the plaintext back to the code that calls Strava, with the status')
})

t.test('a batch save writes one saved event per athlete and never touches athlete identity', async t => {
  const app = await build(t)
  const athletes = await createAthletes(app, 4)
  const ids = athletes.map(a => a.id)
  t.equal((await app.inject({ method: 'PUT', url: '/admin/strava-tokens', headers, payload: { tokens: plainTokens(ids) } })).statusCode, 200)
  const again = plainTokens(ids).map(token => ({ ...token, refreshToken: token.refreshToken + '-2', scope: undefined }))
  t.equal((await app.inject({ method: 'PUT', url: '/admin/strava-tokens', headers, payload: { tokens: again } })).statusCode, 200)

  t.same(await app.db.selectFrom('athletes').select(['id', 'strava_athlete_id', 'name']).orderBy('id').execute(), athletes)
  const events = await app.db.selectFrom('token_events').select(['athlete_id', 'event']).orderBy('id').execute()
  t.equal(events.length, 8)
  t.ok(events.every(e => e.event === 'saved' && ids.includes(e.athlete_id)))
  const loaded = await loadTokens(app.db, app.tokenCipher, ids)
  t.equal(loaded.get(ids[0]!)!.refreshToken, again[0]!.refreshToken, 'a second save replaces the token')
  t.equal(loaded.get(ids[0]!)!.scope, null)
})

t.test('an unknown athlete id is a 404 naming it, and nothing of the batch is written', async t => {
  const app = await build(t)
  const ids = (await createAthletes(app, 2)).map(a => a.id)
  const tokens = plainTokens([ids[0]!, 999_999, ids[1]!])
  const res = await app.inject({ method: 'PUT', url: '/admin/strava-tokens', headers, payload: { tokens } })
  t.equal(res.statusCode, 404)
  t.match(res.json().message, /tokens\/1\/athleteId: athlete 999999 does not exist/)
  t.equal(await dump(app, 'strava_tokens'), '[]')
  t.equal(await dump(app, 'token_events'), '[]')
})

t.test('a duplicate athlete in one batch is a 400 naming it', async t => {
  const app = await build(t)
  const [a] = (await createAthletes(app, 1)).map(a => a.id)
  const res = await app.inject({ method: 'PUT', url: '/admin/strava-tokens', headers, payload: { tokens: plainTokens([a!, a!]) } })
  t.equal(res.statusCode, 400)
  t.match(res.json().message, `tokens/1/athleteId: athlete ${a} appears more than once`)
  t.equal(await dump(app, 'strava_tokens'), '[]')
})

t.test('malformed batches are 400s naming the field, without echoing token values', async t => {
  const app = await build(t)
  const [a] = (await createAthletes(app, 1)).map(a => a.id)
  const [valid] = plainTokens([a!])
  const cases: Array<[unknown, RegExp]> = [
    [{ tokens: [{ ...valid, expiresAt: String(expiresAt) }] }, /tokens\/0\/expiresAt/],
    [{ tokens: [{ ...valid, athleteId: -1 }] }, /tokens\/0\/athleteId/],
    [{ tokens: [{ ...valid, refreshToken: '' }] }, /tokens\/0\/refreshToken/],
    [{ tokens: [{ ...valid, stravaAthleteId: 5 }] }, /tokens\/0/],
    [{ tokens: [] }, /tokens/],
    [{ tokens: Array.from({ length: 10_001 }, () => valid) }, /tokens/]
  ]
  for (const [payload, message] of cases) {
    const res = await app.inject({ method: 'PUT', url: '/admin/strava-tokens', headers, payload: payload as object })
    t.equal(res.statusCode, 400)
    t.match(res.json().message, message)
    t.notOk(res.body.includes(valid!.refreshToken))
  }
  t.equal(await dump(app, 'strava_tokens'), '[]')
})

t.test('saving tokens needs the admin token', async t => {
  const app = await build(t)
  const res = await app.inject({ method: 'PUT', url: '/admin/strava-tokens', payload: { tokens: plainTokens([1]) } })
  t.equal(res.statusCode, 401)
})
