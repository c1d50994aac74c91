import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { sql } from 'kysely'
import t from 'tap'
import type { App } from '../../src/app.ts'
import { upsertActivities } from '../../src/activities/service.ts'
import { retentionCutoff } from '../../src/strava/retention.ts'
import { build, createTestDatabase, TEST_ADMIN_TOKEN, TEST_TOKEN_KEY } from '../helper.ts'
import { connectedAthlete, startSyncWorld, storedStravaIds, syncStatus, visibleIds } from '../strava/fixtures.ts'

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

const jobsOf = async (app: App, athleteId: number) => {
  const { rows } = await sql<{ key: string }>`select key from graphile_worker.jobs where key = ${`strava-sync:${athleteId}`}`.execute(app.db)
  return rows.length
}

t.test('strava sync queues the named athletes or every connected one, and refuses unknown or unconnected ids without queuing any', async t => {
  const world = await startSyncWorld(t)
  const { app } = world
  const [a, b] = await Promise.all([connectedAthlete(world, 5), connectedAthlete(world, 5)])
  const { id: unconnected } = await app.db.insertInto('athletes').values({ name: 'no strava' }).returning('id').executeTakeFirstOrThrow()
  const url = app.databaseUrl

  const named = await cli(url, ['strava', 'sync', '--athlete', String(a.athleteId), '--json'])
  t.equal(named.code, 0, named.stderr)
  t.same(JSON.parse(named.stdout), { queued: 1, athleteIds: [a.athleteId] })
  t.equal((await syncStatus(app, a.athleteId)).state, 'queued')
  t.equal(await jobsOf(app, a.athleteId), 1)

  const refused = await cli(url, ['strava', 'sync', '--athlete', String(b.athleteId), '999999', '--athlete', String(unconnected)])
  t.equal(refused.code, 1)
  t.match(refused.stderr, new RegExp(`no athlete has id 999999; athlete ${unconnected} has no usable Strava connection .*; nothing was queued`))
  t.equal(refused.stdout, '')
  t.equal(await jobsOf(app, b.athleteId), 0, 'the connected athlete named beside them was not queued either')
  t.equal((await syncStatus(app, b.athleteId)).state, 'idle')

  const all = await cli(url, ['strava', 'sync'])
  t.equal(all.code, 0, all.stderr)
  t.match(all.stdout, /^queued +2\nathleteIds +\[\d+,\d+\]\n$/)
  t.equal(await jobsOf(app, b.athleteId), 1)
})

t.test('strava sync --wait says so at once when no worker runs against the database, and exits 1', async t => {
  const world = await startSyncWorld(t)
  const { athleteId } = await connectedAthlete(world, 5)
  const started = Date.now()
  const { code, stdout, stderr } = await cli(world.app.databaseUrl, ['strava', 'sync', '--athlete', String(athleteId), '--wait', '--json'])
  t.equal(code, 1)
  t.match(stderr, /no Strava sync worker is running against this database.*STRAVA_SYNC_WORKER=true/)
  t.match(JSON.parse(stdout), { queued: 1, wait: 'no-worker', athletes: [{ athleteId, state: 'queued' }] })
  t.ok(Date.now() - started < 30_000, 'it did not wait for the timeout')
})

t.test('strava sync --wait follows the worker until each sync settles, and exits 1 when one ends disconnected', async t => {
  const world = await startSyncWorld(t, { worker: true })
  const { app, fake } = world
  const synced = await connectedAthlete(world, 450)
  const revoked = await connectedAthlete(world, 10)
  fake.revoke(revoked.stravaId)

  const { code, stdout, stderr } = await cli(app.databaseUrl,
    ['strava', 'sync', '--athlete', String(synced.athleteId), String(revoked.athleteId), '--full', '--wait', '--timeout', '120', '--json'])
  t.equal(code, 1, 'an athlete ended disconnected')
  t.match(stderr, new RegExp(`the sync of athlete ${revoked.athleteId} \\(disconnected\\) did not succeed`))
  const result = JSON.parse(stdout)
  t.same(Object.keys(result), ['queued', 'wait', 'athletes'])
  t.match(result, { queued: 2, wait: 'settled' })
  t.same(result.athletes.map((a: { athleteId: number }) => a.athleteId), [synced.athleteId, revoked.athleteId])
  t.match(result.athletes[0], { state: 'idle', backfillComplete: true, activitiesSynced: 450, backfillPages: 3, nextAttemptAt: null, lastError: null })
  t.same(Object.keys(result.athletes[0]).sort(),
    ['activitiesSynced', 'athleteId', 'backfillComplete', 'backfillPages', 'lastError', 'lastSyncedAt', 'nextAttemptAt', 'state'])
  t.match(result.athletes[1], { state: 'disconnected', activitiesSynced: 0, lastError: String })
  t.same(await storedStravaIds(app, synced.athleteId), visibleIds(fake, synced.activities))

  const again = await cli(app.databaseUrl, ['strava', 'sync', '--athlete', String(synced.athleteId), '--wait', '--timeout', '60'])
  t.equal(again.code, 0, again.stderr)
  t.match(again.stdout, new RegExp(`^queued +1\\nwait +settled\\nathlete ${synced.athleteId} +idle, 450 activities synced, backfill complete\\n$`))
})

t.test('strava sync --wait ends at a deferred sync with its next attempt, and at a failed one waiting for its retry (exit 1)', async t => {
  const world = await startSyncWorld(t, { worker: true })
  const { app, fake } = world
  fake.rateLimits.limits.read = [3, 1000]
  const deferred = await connectedAthlete(world, 1200)
  // Its access token is due for refresh, and Strava's token endpoint keeps answering 503.
  const failing = await connectedAthlete(world, 10, { minutesLeft: 1 })
  fake.failNext(...Array.from({ length: 200 }, () => ({ status: 503 })))
  const { code, stdout, stderr } = await cli(app.databaseUrl,
    ['strava', 'sync', '--athlete', String(deferred.athleteId), String(failing.athleteId), '--wait', '--timeout', '60', '--json'])
  t.equal(code, 1)
  t.match(stderr, new RegExp(`the sync of athlete ${failing.athleteId} \\(failed\\) did not succeed`))
  const [athlete, failed] = JSON.parse(stdout).athletes
  t.match(athlete, { athleteId: deferred.athleteId, state: 'deferred', backfillComplete: false, lastError: null })
  t.ok(athlete.activitiesSynced > 0 && athlete.activitiesSynced < 1200, `part of the history came before the budget ran out (${athlete.activitiesSynced})`)
  t.ok(Date.parse(athlete.nextAttemptAt) > Date.now(), 'the next attempt is in a later window')
  t.match(failed, { athleteId: failing.athleteId, state: 'failed', activitiesSynced: 0, lastError: /could not be refreshed/ })
  t.equal(fake.rateLimits.served429, 0)
})
