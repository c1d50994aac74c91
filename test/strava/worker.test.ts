import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'kysely'
import t from 'tap'
import { JOB_SCHEMA } from '../../src/db/job-schema.ts'
import { queueSyncs, removeQueuedSync } from '../../src/strava/jobs.ts'
import { adminHeaders } from '../fixtures.ts'
import { connectedAthlete, startSyncWorld, storedStravaIds, syncStatus, visibleIds, waitForSync } from './fixtures.ts'

const finished = (status: Record<string, unknown>) => status.state === 'idle' && status.backfillComplete === true

t.test('the in-process worker runs a queued backfill to the end, and the routes report it', async t => {
  const world = await startSyncWorld(t, { worker: true })
  const { app, fake } = world
  const { athleteId, activities } = await connectedAthlete(world, 450)
  const queued = await app.inject({ method: 'POST', url: `/api/athletes/${athleteId}/strava/sync`, headers: adminHeaders })
  t.equal(queued.statusCode, 202)
  t.match(queued.json(), { state: /^(queued|running|idle)$/ })
  await waitForSync(t, app, athleteId, finished)
  t.same(await storedStravaIds(app, athleteId), visibleIds(fake, activities))
  t.equal(fake.rateLimits.served429, 0)
})

t.test('the worker runs three times as many jobs as STRAVA_SYNC_CONCURRENCY, and never has more Strava calls than that in flight', async t => {
  const world = await startSyncWorld(t, { worker: true, env: { STRAVA_SYNC_CONCURRENCY: '2' } })
  const { app, fake } = world
  const athletes = []
  for (let i = 0; i < 8; i++) athletes.push(await connectedAthlete(world, 450))
  let inFlight = 0
  let mostInFlight = 0
  // Each list call is held a while, so calls and jobs overlap as they do against Strava.
  fake.activities.beforeList = async () => {
    mostInFlight = Math.max(mostInFlight, ++inFlight)
    await sleep(40)
    inFlight--
  }
  let mostRunning = 0
  const watch = { on: true }
  const watcher = (async () => {
    while (watch.on) {
      const { rows: [row] } = await sql<{ running: number }>`select count(*)::int as running from strava_sync_state where state = 'running'`.execute(app.db)
      mostRunning = Math.max(mostRunning, row!.running)
      await sleep(5)
    }
  })()
  const queued = await app.inject({ method: 'POST', url: '/admin/strava/sync', headers: adminHeaders, payload: {} })
  t.equal(queued.statusCode, 202)
  for (const { athleteId } of athletes) await waitForSync(t, app, athleteId, finished)
  watch.on = false
  await watcher
  t.equal(mostInFlight, 2, 'two list calls at once at most, and the two slots were used')
  t.ok(mostRunning > 2 && mostRunning <= 6, `more jobs than calls ran at once, up to six (${mostRunning} seen)`)
  for (const { athleteId, activities } of athletes) t.same(await storedStravaIds(app, athleteId), visibleIds(fake, activities))
})

t.test('saving tokens queues the athlete\'s backfill by itself', async t => {
  const world = await startSyncWorld(t, { worker: true })
  const { app, fake } = world
  const { id: athleteId } = await app.db.insertInto('athletes').values({ strava_athlete_id: 777_001 }).returning('id').executeTakeFirstOrThrow()
  const { makeActivities } = await import('../fake-strava-api.ts')
  const activities = makeActivities(30, { firstId: 20_000_000_000 })
  fake.activities.add(777_001, activities)
  const tokens = fake.addAthlete(777_001)
  const saved = await app.inject({
    method: 'PUT',
    url: '/admin/strava-tokens',
    headers: adminHeaders,
    payload: { tokens: [{ athleteId, accessToken: tokens.access_token, refreshToken: tokens.refresh_token, expiresAt: tokens.expires_at }] }
  })
  t.equal(saved.statusCode, 200)
  await waitForSync(t, app, athleteId, finished)
  t.equal((await storedStravaIds(app, athleteId)).length, 30)
})

t.test('the admin route queues every connected athlete, and the fleet status counts them', async t => {
  const world = await startSyncWorld(t, { worker: true })
  const { app } = world
  const athletes = await Promise.all([connectedAthlete(world, 20), connectedAthlete(world, 20), connectedAthlete(world, 20)])
  const queued = await app.inject({ method: 'POST', url: '/admin/strava/sync', headers: adminHeaders, payload: { athleteIds: athletes.slice(0, 2).map(a => a.athleteId) } })
  t.same([queued.statusCode, queued.json()], [202, { queued: 2 }])
  for (const { athleteId } of athletes.slice(0, 2)) await waitForSync(t, app, athleteId, finished)
  const all = await app.inject({ method: 'POST', url: '/admin/strava/sync', headers: adminHeaders })
  t.same(all.json(), { queued: 3 })
  // The first two are synced again too: the count holds once all three are idle.
  for (const { athleteId } of athletes) await waitForSync(t, app, athleteId, finished)
  const fleet = await app.inject({ url: '/admin/strava/sync-status', headers: adminHeaders })
  t.equal(fleet.json().athletes.idle, 3)
})

t.test('a sync request for an athlete without a Strava token is a 409, for an unknown one a 404', async t => {
  const { app } = await startSyncWorld(t)
  const { id } = await app.db.insertInto('athletes').values({ strava_athlete_id: 777_002 }).returning('id').executeTakeFirstOrThrow()
  const conflict = await app.inject({ method: 'POST', url: `/api/athletes/${id}/strava/sync`, headers: adminHeaders })
  t.equal(conflict.statusCode, 409)
  t.match(conflict.json().message, /has not connected Strava/)
  t.equal((await syncStatus(app, id)).state, 'disconnected')
  const missing = await app.inject({ method: 'POST', url: '/api/athletes/999999/strava/sync', headers: adminHeaders })
  t.equal(missing.statusCode, 404)
  const unknownField = await app.inject({ method: 'POST', url: `/api/athletes/${id}/strava/sync`, headers: adminHeaders, payload: { fulll: true } })
  t.equal(unknownField.statusCode, 400)
})

t.test('a waiting full resync is never replaced by a plain request: each kind keeps one waiting job, and a disconnect drops both', async t => {
  const world = await startSyncWorld(t)
  const { app } = world
  const { athleteId } = await connectedAthlete(world, 5)
  const waiting = async () => (await sql<{ key: string, full: boolean }>`
    select key, (payload->>'full')::boolean as full from ${sql.table(`${JOB_SCHEMA}._private_jobs`)}
    where key like ${`%:${athleteId}`} order by key`.execute(app.db)).rows
  await queueSyncs(app.db, [athleteId], { full: true })
  await queueSyncs(app.db, [athleteId])
  await queueSyncs(app.db, [athleteId])
  t.same(await waiting(), [
    { key: `strava-sync-full:${athleteId}`, full: true },
    { key: `strava-sync:${athleteId}`, full: false }
  ], 'the plain requests replaced only each other')
  await queueSyncs(app.db, [athleteId], { full: true })
  t.equal((await waiting()).length, 2, 'a second full request replaced the first')
  await removeQueuedSync(app.db, athleteId)
  t.same(await waiting(), [], 'both are dropped')
})
