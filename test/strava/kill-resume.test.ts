import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import type { App } from '../../src/app.ts'
import { MAX_PAGES_PER_WRITE } from '../../src/strava/sync.ts'
import { adminHeaders } from '../fixtures.ts'
import { build, createTestDatabase, TEST_TOKEN_KEY } from '../helper.ts'
import { startFake, stravaEnv } from '../tokens/fixtures.ts'
import { connectedAthlete, storedStravaIds, visibleIds, waitForSync } from './fixtures.ts'

// Ten full pages of 200, then the empty page that ends the backfill, all in one job.
const ACTIVITIES = 2_000
const PAGES = ACTIVITIES / 200
const CHILD = fileURLToPath(new URL('sync-child.ts', import.meta.url))

interface SyncProcess { kill: () => Promise<void>, exited: Promise<NodeJS.Signals | null> }

/** The app with its sync worker in a child process; killed at the end of the test if still running. */
function startSyncProcess (t: Test, env: Record<string, string>): SyncProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], { env: { ...process.env, ...env }, stdio: ['pipe', 'ignore', 'inherit'] })
  const exited = new Promise<NodeJS.Signals | null>(resolve => child.once('exit', (_code, signal) => resolve(signal)))
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await exited
  }
  t.teardown(kill)
  return { kill, exited }
}

/** Polls `check` every 50 ms for at most `timeoutMs`; false when it never held. */
async function until (check: () => Promise<boolean>, timeoutMs = 60_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (!await check()) {
    if (Date.now() > deadline) return false
    await sleep(50)
  }
  return true
}

async function pagesWritten (app: App, athleteId: number): Promise<number> {
  const row = await app.db.selectFrom('strava_sync_state').select('backfill_pages').where('athlete_id', '=', athleteId).executeTakeFirst()
  return row?.backfill_pages ?? 0
}

t.test('a sync process killed with SIGKILL mid-backfill is resumed by the next process at the page after the last one written', async t => {
  const fake = await startFake(t)
  const databaseUrl = await createTestDatabase(t)
  const app = await build(t, { databaseUrl, env: stravaEnv(fake) })
  const { athleteId, activities } = await connectedAthlete({ app, fake }, ACTIVITIES)
  const env = { ...stravaEnv(fake), DATABASE_URL: databaseUrl, TOKEN_ENCRYPTION_KEY: TEST_TOKEN_KEY }

  // The first process dies while Strava is answering page 4, once page 1 is written. Pages
  // listed during a write are written together, so pages 2 and 3 are written, or were waiting
  // or being written and are lost with it.
  let first: SyncProcess | undefined
  fake.activities.beforeList = async ({ query }) => {
    if (query.before !== undefined && query.page === '4' && first) {
      const dying = first
      first = undefined
      await until(async () => await pagesWritten(app, athleteId) >= 1)
      await dying.kill()
    }
  }
  const queued = await app.inject({ method: 'POST', url: `/api/athletes/${athleteId}/strava/sync`, headers: adminHeaders })
  t.equal(queued.statusCode, 202)
  first = startSyncProcess(t, env)
  const killedFirst = first
  t.equal(await Promise.race([killedFirst.exited, sleep(90_000, 'still running')]), 'SIGKILL', 'the first process was killed while page 4 was in flight')
  const writtenAtFirstKill = await pagesWritten(app, athleteId)
  t.ok(writtenAtFirstKill === 1 || writtenAtFirstKill === 3, `page 1, or pages 1 to 3, were written before the kill: ${writtenAtFirstKill}`)
  t.equal((await storedStravaIds(app, athleteId)).length, 200 * writtenAtFirstKill, 'the stored activities are those of the pages written')

  // The second process is killed wherever it is once page 7 is written: fetching, writing or between.
  const second = startSyncProcess(t, env)
  t.ok(await until(async () => await pagesWritten(app, athleteId) >= 7), 'a new process resumed the backfill')
  await second.kill()
  const writtenAtSecondKill = await pagesWritten(app, athleteId)
  t.ok(writtenAtSecondKill >= 7 && writtenAtSecondKill <= PAGES, `the second process was killed with ${writtenAtSecondKill} pages written`)

  startSyncProcess(t, env)
  const status = await waitForSync(t, app, athleteId, s => s.state === 'idle' && s.backfillComplete === true, 90_000)
  t.match(status, { activitiesSynced: ACTIVITIES, lastError: null })

  const requested = fake.activities.listCalls.filter(call => call.query.before !== undefined).map(call => Number(call.query.page))
  const times = new Map<number, number>()
  for (const page of requested) times.set(page, (times.get(page) ?? 0) + 1)
  t.same([...times.keys()].sort((a, b) => a - b), Array.from({ length: PAGES + 1 }, (_, i) => i + 1), 'every page was asked for, through the empty one')
  const repeated = [...times].filter(([, n]) => n > 1)
  // Lost at a kill: the pages being written, those listed and waiting for the next write, and
  // the one being asked for, all after the last page written.
  const inFlightAt = (written: number, page: number) => page > written && page <= written + 2 * MAX_PAGES_PER_WRITE + 1
  t.ok(repeated.every(([page, n]) => n === 2 && (inFlightAt(writtenAtFirstKill, page) || inFlightAt(writtenAtSecondKill, page))),
    `only pages lost at a kill were asked for again, once: ${JSON.stringify(repeated)}`)
  t.ok(repeated.some(([page]) => page === 4), 'page 4, in flight at the first kill, was asked for again')
  t.same(await storedStravaIds(app, athleteId), visibleIds(fake, activities), 'every activity is stored exactly once')
  t.equal(fake.rateLimits.served429, 0)
})
