import t from 'tap'
import { sql } from 'kysely'
import { runSyncJob } from '../../src/strava/tasks.ts'
import { nextQuarter } from '../../src/strava/budget.ts'
import { recomputeAcwrFrom } from '../../src/acwr/engine.ts'
import { writeForAthlete } from '../../src/db/athlete-writes.ts'
import { adminHeaders } from '../fixtures.ts'
import { connectedAthlete, startSyncWorld, storedStravaIds, syncDeps, syncStatus, visibleIds } from './fixtures.ts'

t.test('a backfill over short pages and several jobs stores every activity exactly once, with its local day, UTC start and zone', async t => {
  const world = await startSyncWorld(t)
  const { app, fake } = world
  const { athleteId, activities } = await connectedAthlete(world, 230)
  // Every 7th activity takes a place in the pages without being shown: pages come out short.
  for (const activity of activities.filter((_, i) => i % 7 === 3)) fake.activities.hidden.add(activity.id)
  const deps = syncDeps(app, { perPage: 50, pagesPerJob: 2 })

  const outcomes: string[] = []
  for (let job = 0; job < 10; job++) {
    const outcome = await runSyncJob(deps, { athleteId })
    outcomes.push(typeof outcome === 'string' ? outcome : outcome.kind)
    if (outcomes.at(-1) !== 'continue') break
  }
  t.same(outcomes, ['continue', 'continue', 'complete'], 'five pages of 50 places at two pages a job, then the empty page')
  t.same(await storedStravaIds(app, athleteId), visibleIds(fake, activities))
  t.equal(fake.rateLimits.served429, 0)

  const sample = activities[1]!
  const stored = await app.db.selectFrom('activities').selectAll().where('athlete_id', '=', athleteId).where('id', '=', sample.id).executeTakeFirstOrThrow()
  t.equal(stored.day, sample.start_date_local.slice(0, 10), 'the day is the local day of start_date_local, its Z ignored')
  t.equal(stored.start_date_local, sample.start_date_local.replace('T', ' ').replace('Z', ''))
  t.equal(new Date(stored.start_date!).toISOString(), new Date(sample.start_date).toISOString())
  t.equal(stored.timezone, 'Europe/Madrid')
  t.equal(stored.local_time_basis, 'strava')

  const acwr = await app.inject({ url: `/api/athletes/${athleteId}/acwr/latest`, headers: adminHeaders })
  t.equal(acwr.statusCode, 200, 'ACWR followed the synced pages')
  const status = await syncStatus(app, athleteId)
  t.match(status, { state: 'idle', backfillComplete: true, activitiesSynced: visibleIds(fake, activities).length, nextAttemptAt: null, lastError: null })
  t.type(status.lastSyncedAt, 'string')
})

t.test('a backfill writes whole groups of five pages, and a short page at once with what waits before it: one transaction each', async t => {
  const world = await startSyncWorld(t)
  const { app } = world
  // Eleven full pages of 20, a twelfth of 10, then the empty page.
  const { athleteId } = await connectedAthlete(world, 230)
  const deps = syncDeps(app, { perPage: 20 })
  t.match(await runSyncJob(deps, { athleteId }), { kind: 'complete' })
  // Rows a transaction inserted carry its id (xmin): one group of rows per write.
  const { rows } = await sql<{ rows: number }>`select count(*)::int as rows from activities
    where athlete_id = ${athleteId} group by xmin::text order by min(day) desc`.execute(app.db)
  t.same(rows.map(row => row.rows), [100, 100, 30], 'pages 1–5 and 6–10 as they filled, then 11 and the short 12 without waiting for the empty page')
  t.match(await syncStatus(app, athleteId), { state: 'idle', backfillComplete: true, activitiesSynced: 230 })
})

t.test('pages listed while a write waits, up to the empty page, are still written: the end is recorded only with the last of them', async t => {
  const world = await startSyncWorld(t)
  const { app, fake } = world
  const { athleteId } = await connectedAthlete(world, 230)
  // While page 10 is answered, another transaction takes the athlete's row: the write of pages
  // 6–10 waits on it as pages 11, 12 and the empty 13 come in, and goes on once 13 is answered.
  let release = () => {}
  const released = new Promise<void>(resolve => { release = resolve })
  let held: Promise<void> | undefined
  fake.activities.beforeList = async ({ query }) => {
    if (query.page === '10') {
      let locked = () => {}
      const lockTaken = new Promise<void>(resolve => { locked = resolve })
      held = app.db.transaction().execute(async trx => {
        await trx.selectFrom('athletes').select('id').where('id', '=', athleteId).forUpdate().execute()
        locked()
        await released
      })
      await lockTaken
    }
    if (query.page === '13') setTimeout(release, 100)
  }
  t.match(await runSyncJob(syncDeps(app, { perPage: 20 }), { athleteId }), { kind: 'complete' })
  await held
  t.equal((await storedStravaIds(app, athleteId)).length, 230, 'pages 11 and 12 were written after the write that waited')
  t.match(await syncStatus(app, athleteId), { state: 'idle', backfillComplete: true, activitiesSynced: 230 })
})

t.test('a backfill resumes at the page after the last one written, and a second sync doubles nothing', async t => {
  const world = await startSyncWorld(t)
  const { app, fake } = world
  const { athleteId, activities } = await connectedAthlete(world, 120)
  const deps = syncDeps(app, { perPage: 40, pagesPerJob: 1 })
  t.match(await runSyncJob(deps, { athleteId }), { kind: 'continue' })
  t.equal((await storedStravaIds(app, athleteId)).length, 40)
  fake.activities.listCalls.length = 0
  for (let job = 0; job < 5; job++) if ((await runSyncJob(deps, { athleteId }) as { kind: string }).kind === 'complete') break
  t.equal(fake.activities.listCalls[0]!.query.page, '2', 'the next job asked for page 2, not page 1 again')
  t.match(await runSyncJob(deps, { athleteId }), { kind: 'complete' }, 'a sync after the backfill re-lists the recent window')
  t.same(await storedStravaIds(app, athleteId), visibleIds(fake, activities))
})

t.test('a budget too small stops at the limit without a 429, defers to the next quarter hour, and completes after the window rolls', async t => {
  const world = await startSyncWorld(t)
  const { app, fake } = world
  fake.rateLimits.limits.read = [5, 1000]
  // The history ends today; before the clock's date lie 924 of these, five pages of 200.
  const { athleteId, activities } = await connectedAthlete(world, 1200)
  let clock = new Date('2026-03-02T10:07:30Z')
  const deps = syncDeps(app, { now: () => clock, reserve: 0.1 })

  const first = await runSyncJob(deps, { athleteId })
  t.same(first, { kind: 'deferred', retryAt: new Date('2026-03-02T10:15:00Z') })
  t.equal(fake.rateLimits.served, 4, 'the first answer told the limit of 5; 10% reserve leaves 4')
  t.equal(fake.rateLimits.served429, 0, 'no request was sent that Strava would refuse')
  const status = await syncStatus(app, athleteId)
  t.equal(status.state, 'deferred')
  t.equal(status.nextAttemptAt, '2026-03-02T10:15:00.000Z')

  const fleet = await app.inject({ url: '/admin/strava/sync-status', headers: adminHeaders })
  t.equal(fleet.statusCode, 200, fleet.body)
  t.match(fleet.json(), { athletes: { deferred: 1, idle: 0 }, budget: { read15min: { limit: 5 }, readDaily: { limit: 1000 } } })

  for (let round = 0; round < 5; round++) {
    fake.rateLimits.rollWindow()
    clock = nextQuarter(clock)
    const outcome = await runSyncJob(deps, { athleteId })
    if ((outcome as { kind: string }).kind === 'complete') break
    t.same(outcome, { kind: 'deferred', retryAt: nextQuarter(clock) })
  }
  t.same(await storedStravaIds(app, athleteId), visibleIds(fake, activities))
  t.equal(fake.rateLimits.served429, 0)
  t.equal((await syncStatus(app, athleteId)).state, 'idle')
})

t.test('a spent daily budget defers until midnight UTC', async t => {
  const world = await startSyncWorld(t)
  const { app, fake } = world
  fake.rateLimits.limits.read = [100, 3]
  // Before the clock's date lie 324 of these: four pages of 100 and the empty one.
  const { athleteId } = await connectedAthlete(world, 600)
  const clock = new Date('2026-03-02T22:40:00Z')
  const outcome = await runSyncJob(syncDeps(app, { now: () => clock, reserve: 0, perPage: 100 }), { athleteId })
  t.same(outcome, { kind: 'deferred', retryAt: new Date('2026-03-03T00:00:00Z') })
  t.equal(fake.rateLimits.served429, 0)
})

t.test('reads that another client of the application spent, stated in the answers, are stored, so the sync stops at the limit without a 429', async t => {
  const world = await startSyncWorld(t)
  const { app, fake } = world
  fake.rateLimits.usage.read = [0, 997]
  const { athleteId } = await connectedAthlete(world, 600)
  const clock = new Date('2026-03-02T22:40:00Z')
  const outcome = await runSyncJob(syncDeps(app, { now: () => clock, reserve: 0, perPage: 100 }), { athleteId })
  t.same(outcome, { kind: 'deferred', retryAt: new Date('2026-03-03T00:00:00Z') })
  t.equal(fake.rateLimits.served, 3, 'the daily limit of 1,000 left 3 reads')
  t.equal(fake.rateLimits.served429, 0)
})

t.test('the re-list applies what changed on Strava within the window: a deleted activity goes, an edited one is rewritten, and the series matches one computed from scratch', async t => {
  const world = await startSyncWorld(t)
  const { app, fake } = world
  const { athleteId, stravaId, activities } = await connectedAthlete(world, 90)
  const deps = syncDeps(app)
  t.match(await runSyncJob(deps, { athleteId }), { kind: 'complete' })

  // Within the 30-day window: the deletion lies further back than the edit, so the series is
  // recomputed from the deleted day, not only from the edited one.
  const deleted = activities[20]!
  const edited = activities[4]!
  fake.activities.remove(stravaId, deleted.id)
  edited.moving_time = 3 * (edited.moving_time ?? 1800)
  t.match(await runSyncJob(deps, { athleteId }), { kind: 'complete' })

  const ids = await storedStravaIds(app, athleteId)
  t.notOk(ids.includes(deleted.id), 'the activity deleted on Strava is deleted here')
  t.equal(ids.length, 89)
  const stored = await app.db.selectFrom('activities').select('moving_time_s').where('athlete_id', '=', athleteId).where('id', '=', edited.id).executeTakeFirstOrThrow()
  t.equal(stored.moving_time_s, edited.moving_time, 'the edit is stored')
  const series = () => app.db.selectFrom('acwr_daily').select(['day', 'external_load', 'external_acute', 'external_chronic', 'external_ctl', 'external_atl'])
    .where('athlete_id', '=', athleteId).orderBy('day').execute()
  const synced = await series()
  await writeForAthlete(app.db, athleteId, (trx, athlete) => recomputeAcwrFrom(trx, [athlete], null))
  const fromScratch = await series()
  t.equal(synced.length, fromScratch.length)
  const apart = (a: number | null, b: number | null) => a === null || b === null ? a !== b : Math.abs(a - b) > 1e-9 * Math.max(1, Math.abs(b))
  const differing = synced.filter((row, i) => {
    const other = fromScratch[i]!
    return row.day !== other.day || (['external_load', 'external_acute', 'external_chronic', 'external_ctl', 'external_atl'] as const).some(k => apart(row[k], other[k]))
  })
  t.same(differing, [], 'every day of the series as a computation from scratch gives it')
})

t.test('a first backfill done in one job lists the history once, with no re-list of the window; a full resync over stored activities re-lists it and applies deletions', async t => {
  const world = await startSyncWorld(t)
  const { app, fake } = world
  const { athleteId, stravaId, activities } = await connectedAthlete(world, 250)
  const deps = syncDeps(app, { perPage: 100 })
  t.same(await runSyncJob(deps, { athleteId }), { kind: 'complete' })
  t.same(fake.activities.listCalls.map(call => [call.query.page, call.query.after === undefined ? 'history' : 'window']),
    [['1', 'history'], ['2', 'history'], ['3', 'history'], ['4', 'history']], 'three pages and the empty one: the window was in them')
  t.match(await syncStatus(app, athleteId), { state: 'idle', backfillComplete: true, activitiesSynced: 250, nextAttemptAt: null, lastError: null })

  const deleted = activities[10]!
  fake.activities.remove(stravaId, deleted.id)
  fake.activities.listCalls.length = 0
  t.same(await runSyncJob(deps, { athleteId, full: true }), { kind: 'complete' })
  t.same(fake.activities.listCalls.map(call => [call.query.page, call.query.after === undefined ? 'history' : 'window']),
    [['1', 'history'], ['2', 'history'], ['3', 'history'], ['4', 'history'], ['1', 'window'], ['2', 'window']],
    'the whole history again, then the window, whose re-list finds what the history cannot: the deletion')
  t.same(await storedStravaIds(app, athleteId), visibleIds(fake, activities.filter(a => a !== deleted)))
  t.equal(fake.rateLimits.served429, 0)
})

t.test('a resumed backfill whose re-list is deferred is recorded complete only by the re-list: the next job asks for the empty page again, then re-lists', async t => {
  const world = await startSyncWorld(t)
  const { app, fake } = world
  // 450 activities at 100 a page, two pages a job: the third job's fifth page and the empty
  // one take the last of a budget of six, and its re-list must wait.
  fake.rateLimits.limits.read = [6, 1000]
  const { athleteId, activities } = await connectedAthlete(world, 450)
  // The history ends today: the clock is the real one, which the test moves to the next quarter hour.
  let clock = new Date()
  const deps = syncDeps(app, { now: () => clock, reserve: 0, perPage: 100, pagesPerJob: 2 })
  t.match(await runSyncJob(deps, { athleteId }), { kind: 'continue' })
  t.match(await runSyncJob(deps, { athleteId }), { kind: 'continue' })
  t.same(await runSyncJob(deps, { athleteId }), { kind: 'deferred', retryAt: nextQuarter(clock) })
  t.equal(fake.rateLimits.served, 6)
  t.match(await syncStatus(app, athleteId), { state: 'deferred', backfillComplete: false })
  t.equal((await storedStravaIds(app, athleteId)).length, 450, 'every page was written')

  fake.rateLimits.rollWindow()
  clock = nextQuarter(clock)
  fake.activities.listCalls.length = 0
  t.same(await runSyncJob(deps, { athleteId }), { kind: 'complete' })
  t.same(fake.activities.listCalls.map(call => [call.query.page, call.query.after === undefined ? 'history' : 'window']),
    [['6', 'history'], ['1', 'window'], ['2', 'window']], 'the empty page once more, then the window and its empty page')
  t.match(await syncStatus(app, athleteId), { state: 'idle', backfillComplete: true, nextAttemptAt: null, lastError: null })
  t.same(await storedStravaIds(app, athleteId), visibleIds(fake, activities))
})
