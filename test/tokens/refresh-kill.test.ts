import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'kysely'
import t from 'tap'
import { loadTokens } from '../../src/tokens/store.ts'
import { build, createTestDatabase, TEST_TOKEN_KEY } from '../helper.ts'
import { seedAthletes, startFake, stravaEnv } from './fixtures.ts'

const CONCURRENCY = 8
const TOKENS = 500
const KILL_AFTER = 200

t.test('a refresh run killed halfway loses no rotated token beyond the calls in flight, and reruns finish the job', async t => {
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

  const held = await app.db.selectFrom('strava_tokens').select('athlete_id')
    .where('refresh_claimed_until', '>', sql<Date>`now()`).execute()
  const atOnce = await app.refreshTokens({ concurrency: 16 })
  t.match(atOnce, { refreshed: TOKENS - refreshedEvents.length - held.length, failed: 0, invalidated: 0 },
    `a rerun at once refreshes every due token except the ${held.length} the killed run still holds under lease`)
  // The killed run's claims lapse when their lease ends (15 minutes); move them to that moment.
  await app.db.updateTable('strava_tokens').set({ refresh_claimed_until: sql`now() - interval '1 second'` })
    .where('refresh_claimed_until', 'is not', null).execute()
  const afterLease = await app.refreshTokens({ concurrency: 16 })
  t.match(afterLease, { checked: held.length, refreshed: held.length - lost.length, invalidated: lost.length, failed: 0 },
    'once the lease ends, a rerun takes the rest; a token whose rotation died with the process is rejected by Strava and invalidated')

  const final = await loadTokens(app.db, app.tokenCipher, athletes.map(a => a.athleteId))
  const stale = athletes.filter(a => final.get(a.athleteId)!.refreshToken !== fake.currentRefreshToken(a.stravaId)).map(a => a.athleteId)
  const invalid = await app.db.selectFrom('strava_tokens').select('athlete_id').where('status', '=', 'invalid').orderBy('athlete_id').execute()
  const lostIds = lost.map(a => a.athleteId).sort((x, y) => x - y)
  t.same(stale.sort((x, y) => x - y), lostIds, 'every other athlete now holds the refresh token Strava honours')
  t.same(invalid.map(row => row.athlete_id), lostIds, 'the lost rotations are reported as invalid tokens (re-authorization needed), not silently lost')
})
