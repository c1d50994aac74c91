import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'kysely'
import t, { type Test } from 'tap'
import type { App } from '../../src/app.ts'
import { recalculateAcwr } from '../../src/acwr/recalculate.ts'
import { upsertActivities } from '../../src/activities/service.ts'
import { ConfigError, loadConfig } from '../../src/config.ts'
import { countExpiredStravaActivities, dropExpiredStravaFields, nextRetentionRun, retentionCutoff } from '../../src/strava/retention.ts'
import { runSyncJob } from '../../src/strava/tasks.ts'
import { adminHeaders } from '../fixtures.ts'
import { build } from '../helper.ts'
import { stravaEnv } from '../tokens/fixtures.ts'
import { connectedAthlete, startSyncWorld, syncDeps, type SyncWorld } from './fixtures.ts'

const RETENTION_DAYS = 40

/** Every stored activity of the athlete, all columns, in key order. */
const activityRows = (app: App, athleteId: number) =>
  app.db.selectFrom('activities').selectAll().where('athlete_id', '=', athleteId).orderBy('id').execute()

/** What ACWR and PMC are made of: every stored series row, without the time it was computed. */
async function series (app: App, athleteId: number) {
  const rows = await app.db.selectFrom('acwr_daily').selectAll().where('athlete_id', '=', athleteId).orderBy('day').execute()
  return rows.map(({ computed_at: _computedAt, ...row }) => row)
}

/** The ACWR and PMC replies over the whole history. */
async function replies (app: App, athleteId: number) {
  const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10)
  const range = `from=${day(200)}&to=${day(0)}`
  const [acwr, pmc] = await Promise.all(['acwr', 'pmc'].map(route =>
    app.inject({ url: `/api/athletes/${athleteId}/${route}?${range}`, headers: adminHeaders })))
  return { acwr: acwr!.json(), pmc: pmc!.json() }
}

/** An athlete with 150 days of synced Strava history, plus pushed and imported activities on old days. */
async function syncedAthlete (t: Test, world: SyncWorld) {
  const { app } = world
  const athlete = await connectedAthlete(world, 150)
  const deps = syncDeps(app)
  t.match(await runSyncJob(deps, { athleteId: athlete.athleteId }), { kind: 'complete' })
  const oldDay = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10)
  await upsertActivities(app.db, athlete.athleteId, [
    { id: 1, sportType: 'Run', startDateLocal: `${oldDay(100)}T07:00:00`, movingTimeS: 3600, distanceM: 10_000, averageHeartrate: 150, name: 'pushed' }
  ], 'api')
  await upsertActivities(app.db, athlete.athleteId, [
    { id: 2, sportType: 'Ride', startDateLocal: `${oldDay(120)}T09:30:00`, movingTimeS: 5400, distanceM: 40_000, averageHeartrate: 135, name: 'imported' }
  ], 'import')
  // The series written page by page can differ from a full recompute in the last bits of a
  // float; the full recompute is the baseline every later comparison is held to.
  t.match(await recalculateAcwr(app.db, { athleteIds: [athlete.athleteId], from: null, batchSize: 10 }), { athletes: 1, failed: 0 })
  return { ...athlete, deps }
}

t.test('only Strava activities older than the period lose their raw fields; loads, ACWR and PMC stay identical, also after a full recompute', async t => {
  const world = await startSyncWorld(t)
  const { app } = world
  const { athleteId } = await syncedAthlete(t, world)
  const before = await activityRows(app, athleteId)
  const seriesBefore = await series(app, athleteId)
  const repliesBefore = await replies(app, athleteId)
  const now = new Date()
  const cutoff = retentionCutoff(now, RETENTION_DAYS)
  const expired = before.filter(row => row.source === 'strava' && row.day < cutoff)
  t.ok(expired.length > 100 && expired.length < 150, `${expired.length} of 150 Strava activities are older than ${cutoff}`)
  t.equal(await countExpiredStravaActivities(app.db, cutoff), expired.length)

  const progress: number[] = []
  const run = await dropExpiredStravaFields(app.db, { retentionDays: RETENTION_DAYS, now, chunkSize: 25, onChunk: done => progress.push(done) })
  t.same(run, { cutoff, activities: expired.length })
  t.equal(progress.length, Math.ceil(expired.length / 25), 'one statement per chunk of 25')

  const after = await activityRows(app, athleteId)
  const byId = new Map(before.map(row => [row.id, row]))
  for (const row of after) {
    const old = byId.get(row.id)!
    if (row.source !== 'strava' || row.day >= cutoff) {
      t.same(row, old, `activity ${row.id} (${row.source}, ${row.day}) is untouched`)
      continue
    }
    t.same(
      { ...row, updated_at: old.updated_at },
      {
        ...old,
        name: null,
        distance_m: null,
        elevation_gain_m: null,
        moving_time_s: null,
        average_heartrate: null,
        max_heartrate: null,
        perceived_effort: null,
        start_date: null,
        timezone: null,
        start_date_local: `${old.day} 00:00:00`
      },
      `activity ${row.id} of ${row.day} keeps its day, sport, source and loads only`)
  }
  t.ok(after.some(row => row.source === 'strava' && row.day < cutoff && row.trimp !== null), 'TRIMP computed from heart rate outlives the heart rate')

  t.same(await series(app, athleteId), seriesBefore, 'the stored ACWR and PMC series did not change')
  const recomputed = await recalculateAcwr(app.db, { athleteIds: [athleteId], from: null, batchSize: 10 })
  t.match(recomputed, { athletes: 1, failed: 0 })
  t.same(await series(app, athleteId), seriesBefore, 'a full recompute from the stored loads gives the same series')
  t.same(await replies(app, athleteId), repliesBefore, 'the ACWR and PMC replies are the same')

  const again = await dropExpiredStravaFields(app.db, { retentionDays: RETENTION_DAYS, now })
  t.equal(again.activities, 0, 'a second run finds nothing left to drop')

  const list = await app.inject({ url: `/api/athletes/${athleteId}/activities?to=${expired[0]!.day}&limit=1`, headers: adminHeaders })
  t.equal(list.statusCode, 200)
  t.match(list.json().activities[0], {
    id: expired[0]!.id,
    day: expired[0]!.day,
    startDateLocal: `${expired[0]!.day}T00:00:00`,
    sportType: expired[0]!.sport_type,
    movingTimeS: null,
    distanceM: null,
    averageHeartrate: null,
    name: null,
    externalLoad: expired[0]!.external_load,
    source: 'strava'
  }, 'a dropped field reads null in the activity list')
})

t.test('after retention, a re-sync still updates an activity of the kept window and leaves the stripped ones stripped', async t => {
  const world = await startSyncWorld(t)
  const { app, fake } = world
  const { athleteId, stravaId, activities, deps } = await syncedAthlete(t, world)
  const now = new Date()
  const cutoff = retentionCutoff(now, RETENTION_DAYS)
  await dropExpiredStravaFields(app.db, { retentionDays: RETENTION_DAYS, now })
  const stripped = (await activityRows(app, athleteId)).filter(row => row.moving_time_s === null)
  t.ok(stripped.length > 100)

  const recent = activities[2]!
  fake.activities.update(stravaId, recent.id, { has_heartrate: true, average_heartrate: 171, name: 'edited on Strava' })
  t.match(await runSyncJob(deps, { athleteId }), { kind: 'complete' })

  const rows = await activityRows(app, athleteId)
  const edited = rows.find(row => row.id === recent.id)!
  t.ok(edited.day >= cutoff)
  t.match(edited, { average_heartrate: 171, name: 'edited on Strava' }, 'the recent window was re-listed and written')
  t.same(rows.filter(row => row.moving_time_s === null), stripped, 'the re-list neither restored nor deleted the stripped activities')
  const day = (await series(app, athleteId)).find(row => row.day === edited.day)!
  t.equal(day.internal_load, edited.trimp, 'ACWR followed the edit: the day\'s internal load is the new TRIMP')
})

t.test('every worker queues retention for the next whole hour under one job key, and the job drops the expired fields', async t => {
  const world = await startSyncWorld(t, { worker: true, env: { STRAVA_DATA_RETENTION_DAYS: String(RETENTION_DAYS) } })
  const { app } = world
  const second = await build(t, { databaseUrl: app.databaseUrl, env: { ...stravaEnv(world.fake), STRAVA_SYNC_WORKER: 'true', STRAVA_DATA_RETENTION_DAYS: String(RETENTION_DAYS) } })
  t.ok(second.config.STRAVA_SYNC_WORKER, 'a second instance with a worker of its own')
  const retentionJobs = () => sql<{ id: string, run_at: Date, key: string, queue_name: string }>`
    select id, run_at, key, queue_name from graphile_worker.jobs where task_identifier = 'strava-retention'`.execute(app.db).then(result => result.rows)
  const jobs = await retentionJobs()
  t.equal(jobs.length, 1, 'two instances queued one job')
  t.match(jobs[0], { key: 'strava-retention', queue_name: 'strava-retention' })
  const runAt = new Date(jobs[0]!.run_at)
  t.equal(runAt.getTime() % 3_600_000, 0, 'on a whole hour')
  t.ok(runAt > new Date(Date.now() - 60_000) && runAt <= nextRetentionRun(new Date()), 'the next one')

  const { athleteId } = await syncedAthlete(t, world)
  const cutoff = retentionCutoff(new Date(), RETENTION_DAYS)
  t.ok(await countExpiredStravaActivities(app.db, cutoff) > 0)
  // The hour is brought forward to now, as when it comes.
  await sql`select graphile_worker.reschedule_jobs(array[${jobs[0]!.id}]::bigint[], run_at => now())`.execute(app.db)
  const until = Date.now() + 60_000
  while ((await retentionJobs()).length > 0 && Date.now() < until) await sleep(100)
  t.same(await retentionJobs(), [], 'a worker ran the job')
  t.equal(await countExpiredStravaActivities(app.db, cutoff), 0)
  t.ok((await activityRows(app, athleteId)).some(row => row.source === 'strava' && row.moving_time_s === null))
})

t.test('a retention period shorter than the re-listed window is refused, naming both settings', async t => {
  t.throws(() => loadConfig({ STRAVA_DATA_RETENTION_DAYS: '7' }), new ConfigError(
    'Invalid configuration:\n  STRAVA_DATA_RETENTION_DAYS: 7 is shorter than STRAVA_RECONCILE_DAYS (30), so each re-list would fetch again ' +
    'the Strava fields retention drops; set STRAVA_RECONCILE_DAYS to 7 or less'))
  t.equal(loadConfig({ STRAVA_DATA_RETENTION_DAYS: '7', STRAVA_RECONCILE_DAYS: '7' }).STRAVA_DATA_RETENTION_DAYS, 7)
  t.equal(loadConfig({}).STRAVA_DATA_RETENTION_DAYS, undefined, 'unset keeps everything')
  t.throws(() => loadConfig({ STRAVA_DATA_RETENTION_DAYS: '0' }), /STRAVA_DATA_RETENTION_DAYS/)
})
