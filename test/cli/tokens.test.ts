import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import t from 'tap'
import { createTokenCipher } from '../../src/tokens/crypto.ts'
import { countStaleTokens } from '../../src/tokens/rotate-key.ts'
import { loadTokens, saveTokens } from '../../src/tokens/store.ts'
import { build, createTestDatabase, TEST_ADMIN_TOKEN, TEST_TOKEN_KEY } from '../helper.ts'

import { seedAthletes, startFake, stravaEnv } from '../tokens/fixtures.ts'

const run = promisify(execFile)
const cli = (args: string[], env: Record<string, string>) =>
  run(process.execPath, ['src/cli/bin.js', ...args], { env: { ...process.env, ...env, CI: 'true' } })

t.test('rotate-key re-encrypts every token under the new key in batches, and old keys can then go', async t => {
  const databaseUrl = await createTestDatabase(t)
  const app = await build(t, { databaseUrl })
  const ids = (await app.db.insertInto('athletes').values(Array.from({ length: 5 }, () => ({ name: 'a' }))).returning('id').execute()).map(r => r.id)
  const tokens = ids.map(athleteId => ({ athleteId, accessToken: `access-${athleteId}`, refreshToken: `refresh-${athleteId}`, expiresAt: 2_000_000_000, scope: null }))
  await saveTokens(app.db, app.tokenCipher, tokens)

  const newKey = randomBytes(32).toString('base64')
  const env = { DATABASE_URL: databaseUrl, ADMIN_TOKEN: TEST_ADMIN_TOKEN, TOKEN_ENCRYPTION_KEY: newKey, TOKEN_ENCRYPTION_PREVIOUS_KEYS: TEST_TOKEN_KEY }
  const { stdout } = await cli(['tokens', 'rotate-key', '--batch-size', '2', '--json'], env)
  const newCipher = createTokenCipher(newKey)
  t.same(JSON.parse(stdout), { reEncrypted: 5, keyId: newCipher.currentKeyId })

  const rows = await app.db.selectFrom('strava_tokens').select(['access_token', 'refresh_token']).execute()
  t.ok(rows.every(r => !newCipher.isStale(r.access_token) && !newCipher.isStale(r.refresh_token)))
  const opened = await loadTokens(app.db, newCipher, ids)
  t.same(ids.map(id => opened.get(id)), tokens.map(token => ({ ...token, status: 'active' })), 'the new key alone opens every token')
  t.equal((await app.db.selectFrom('token_events').select('id').where('event', '=', 're_encrypted').execute()).length, 5)

  t.equal(await countStaleTokens(app.db, newCipher), 0, 'nothing is left under the old key')
  const report = JSON.parse((await cli(['tokens', 'report', '--json'], env)).stdout)
  t.match(report, { total: 5, healthy: 5, invalid: 0, invalidAthletes: [], expiredAthletes: [] })
})

t.test('without the old key, rotation stops naming the missing key id', async t => {
  const databaseUrl = await createTestDatabase(t)
  const app = await build(t, { databaseUrl })
  const [id] = (await app.db.insertInto('athletes').values({ name: 'a' }).returning('id').execute()).map(r => r.id)
  await saveTokens(app.db, app.tokenCipher, [{ athleteId: id!, accessToken: 'access-x', refreshToken: 'refresh-x', expiresAt: 2_000_000_000 }])
  const err = await cli(['tokens', 'rotate-key'], { DATABASE_URL: databaseUrl, ADMIN_TOKEN: TEST_ADMIN_TOKEN, TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64') }).catch(e => e)
  t.equal(err.code, 1)
  t.match(err.stderr, `unknown key ${app.tokenCipher.currentKeyId}`)
  t.notMatch(err.stderr, /access-x|refresh-x/)
})

t.test('tokens refresh refreshes due tokens and prints exact counts', async t => {
  const fake = await startFake(t)
  const databaseUrl = await createTestDatabase(t)
  const app = await build(t, { databaseUrl })
  const athletes = await seedAthletes(app.db, app.tokenCipher, fake, 3)
  fake.revoke(athletes[0]!.stravaId)
  const env = { ...stravaEnv(fake), DATABASE_URL: databaseUrl, ADMIN_TOKEN: TEST_ADMIN_TOKEN, TOKEN_ENCRYPTION_KEY: TEST_TOKEN_KEY }
  const { stdout } = await cli(['tokens', 'refresh', '--concurrency', '2', '--json'], env)
  t.match(JSON.parse(stdout), { checked: 3, refreshed: 2, failed: 0, invalidated: 1, skipped: 0 })
  t.notMatch(stdout, /fake-/)
})
