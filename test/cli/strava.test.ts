import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import t from 'tap'
import { upsertActivities } from '../../src/activities/service.ts'
import { retentionCutoff } from '../../src/strava/retention.ts'
import { build, createTestDatabase, TEST_ADMIN_TOKEN, TEST_TOKEN_KEY } from '../helper.ts'

const run = promisify(execFile)

/** Runs `trainload <args>` against `databaseUrl` with the given settings; resolves to its exit code and output, whatever the code. */
async function cli (databaseUrl: string, args: string[], env: Record<string, string> = {}) {
  const base = { PATH: process.env.PATH, DATABASE_URL: databaseUrl, ADMIN_TOKEN: TEST_ADMIN_TOKEN, TOKEN_ENCRYPTION_KEY: TEST_TOKEN_KEY, CI: 'true' }
  try {
    const { stdout, stderr } = await run(process.execPath, ['src/cli/bin.js', ...args], { env: { ...base, ...env } })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const failed = err as { code: number, stdout: string, stderr: string }
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr }
  }
}

const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10)

t.test('strava retention drops the raw fields of Strava activities older than STRAVA_DATA_RETENTION_DAYS, and says how many', async t => {
  const databaseUrl = await createTestDatabase(t)
  const app = await build(t, { databaseUrl })
  const { id: athleteId } = await app.db.insertInto('athletes').values({ name: 'a' }).returning('id').executeTakeFirstOrThrow()
  const activity = (id: number, days: number) => ({ id, sportType: 'Run', startDateLocal: `${daysAgo(days)}T07:00:00`, movingTimeS: 1800, distanceM: 5000, name: `run ${id}` })
  await upsertActivities(app.db, athleteId, [activity(1, 90), activity(2, 60), activity(3, 5)], 'strava')
  await upsertActivities(app.db, athleteId, [activity(4, 90)], 'api')

  const unset = await cli(databaseUrl, ['strava', 'retention'])
  t.equal(unset.code, 1)
  t.match(unset.stderr, /STRAVA_DATA_RETENTION_DAYS is not set/)

  const { code, stdout, stderr } = await cli(databaseUrl, ['strava', 'retention', '--json'], { STRAVA_DATA_RETENTION_DAYS: '30' })
  t.equal(code, 0, stderr)
  t.same(JSON.parse(stdout), { retentionDays: 30, cutoff: retentionCutoff(new Date(), 30), activities: 2 })
  const rows = await app.db.selectFrom('activities').select(['id', 'name', 'moving_time_s']).orderBy('id').execute()
  t.same(rows, [
    { id: 1, name: null, moving_time_s: null },
    { id: 2, name: null, moving_time_s: null },
    { id: 3, name: 'run 3', moving_time_s: 1800 },
    { id: 4, name: 'run 4', moving_time_s: 1800 }
  ])
})
