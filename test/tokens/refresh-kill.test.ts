import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { loadTokens } from '../../src/tokens/store.ts'
import { build, createTestDatabase, TEST_TOKEN_KEY } from '../helper.ts'
import { seedAthletes, startFake, stravaEnv } from './fixtures.ts'

const CONCURRENCY = 8
const TOKENS = 500
const KILL_AFTER = 200

t.test('a refresh run killed halfway loses no rotated token beyond the calls in flight', async t => {
  const fake = await startFake(t, { latencyMs: 15 })
  const databaseUrl = await createTestDatabase(t)
  const app = await build(t, { databaseUrl, env: stravaEnv(fake) })
  const athletes = await seedAthletes(app.db, app.tokenCipher, fake, TOKENS)

  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('refresh-child.ts', import.meta.url))], {
    env: { ...process.env, ...stravaEnv(fake), DATABASE_URL: databaseUrl, TOKEN_ENCRYPTION_KEY: TEST_TOKEN_KEY, CONCURRENCY: String(CONCURRENCY) },
    stdio: ['ignore', 'pipe', 'inherit']
  })
  let stored = 0
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stored += chunk.split('\n').filter(line => /^\d+$/.test(line)).length
    if (stored >= KILL_AFTER) child.kill('SIGKILL')
  })
  const [, signal] = await once(child, 'exit')
  t.equal(signal, 'SIGKILL', 'the run was killed before it finished')
  await sleep(100)

  const saved = await loadTokens(app.db, app.tokenCipher, athletes.map(a => a.athleteId))
  const rotated = athletes.filter(a => fake.refreshCallsFor(a.stravaId) > 0)
  const lost = athletes.filter(a => saved.get(a.athleteId)!.refreshToken !== fake.currentRefreshToken(a.stravaId))
  t.ok(rotated.length >= KILL_AFTER && rotated.length < TOKENS, `Strava rotated ${rotated.length} of ${TOKENS} tokens`)
  t.ok(lost.length <= CONCURRENCY, `${lost.length} rotated token(s) not stored, at most the ${CONCURRENCY} calls in flight`)
  const refreshedEvents = await app.db.selectFrom('token_events').select('athlete_id').where('event', '=', 'refreshed').execute()
  t.equal(refreshedEvents.length + lost.length, rotated.length, 'every rotation Strava completed is either stored or among the ones in flight')
})
