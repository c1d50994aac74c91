import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { recalculateAcwr } from '../../src/acwr/recalculate.ts'
import { build, createTestDatabase, TEST_ADMIN_TOKEN, TEST_TOKEN_KEY } from '../helper.ts'
import { acwrDigest, athletesWithSeries, runCli, seedTrainingHistory } from './support.ts'

const ATHLETES = 120
const DAYS = 300
const BATCH = 6

t.test('an ACWR recompute killed halfway leaves whole batches, and a rerun ends where an uninterrupted run does', async t => {
  const databaseUrl = await createTestDatabase(t)
  const app = await build(t, { databaseUrl })
  const ids = await seedTrainingHistory(app.db, { athletes: ATHLETES, days: DAYS })
  const cliEnv = { DATABASE_URL: databaseUrl, ADMIN_TOKEN: TEST_ADMIN_TOKEN, TOKEN_ENCRYPTION_KEY: TEST_TOKEN_KEY, ACWR_BATCH_ATHLETES: String(BATCH) }

  const child = spawn(process.execPath, ['src/cli/bin.js', 'acwr', 'recalc', '--json'], {
    env: { ...process.env, ...cliEnv, CI: 'true' },
    stdio: 'ignore'
  })
  const exited = once(child, 'exit')
  const running = () => child.exitCode === null && child.signalCode === null
  while (running() && (await athletesWithSeries(app.db)).length < ATHLETES / 2) await sleep(20)
  child.kill('SIGKILL')
  const [, signal] = await exited
  t.equal(signal, 'SIGKILL', 'the recompute was killed before it finished')
  // The server rolls back the killed connection's open transaction once it sees the socket close.
  await sleep(200)

  const survived = await athletesWithSeries(app.db)
  t.ok(survived.length >= ATHLETES / 2 && survived.length < ATHLETES, `${survived.length} of ${ATHLETES} athletes were computed when the kill came`)
  t.equal(survived.length % BATCH, 0, 'only whole batches committed: the batch in flight left nothing behind')
  // Batches run two at a time (ACWR_RECOMPUTE_CONCURRENCY's default), so the committed ones
  // need not be the first: each batch of athletes is there whole or not at all.
  const committed = new Set(survived)
  const batches = Array.from({ length: ATHLETES / BATCH }, (_, batch) => ids.slice(batch * BATCH, (batch + 1) * BATCH))
  t.ok(batches.every(batch => batch.every(id => committed.has(id)) || batch.every(id => !committed.has(id))), 'every batch committed whole or not at all')

  const reference = await createTestDatabase(t)
  const uninterrupted = await build(t, { databaseUrl: reference })
  t.same(await seedTrainingHistory(uninterrupted.db, { athletes: ATHLETES, days: DAYS }), ids, 'the reference database holds the same athletes')
  await recalculateAcwr(uninterrupted.db, { from: null, batchSize: ATHLETES })
  t.same(await acwrDigest(app.db, survived), await acwrDigest(uninterrupted.db, survived),
    'what the killed run committed is already final: equal to the uninterrupted run for those athletes')

  const rerun = await runCli(['acwr', 'recalc', '--json'], cliEnv)
  t.equal(rerun.code, 0, `the rerun completes${rerun.stderr ? `: ${rerun.stderr}` : ''}`)
  t.match(JSON.parse(rerun.stdout), { athletes: ATHLETES })
  const expected = await acwrDigest(uninterrupted.db)
  t.ok(expected.rows > ATHLETES * (DAYS - 1), `the uninterrupted run wrote ${expected.rows} rows`)
  t.same(await acwrDigest(app.db), expected, 'after the rerun acwr_daily equals the uninterrupted run, row for row')
})
