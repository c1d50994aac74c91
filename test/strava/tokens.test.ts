import t from 'tap'
import { runSyncJob } from '../../src/strava/tasks.ts'
import { refreshDueTokens } from '../../src/tokens/refresh.ts'
import { connectedAthlete, startSyncWorld, storedStravaIds, syncDeps, syncStatus } from './fixtures.ts'

t.test('an access token that has expired is refreshed before the first call', async t => {
  const world = await startSyncWorld(t)
  const { app, fake } = world
  const { athleteId, stravaId } = await connectedAthlete(world, 10, { minutesLeft: -5 })
  const outcome = await runSyncJob(syncDeps(app), { athleteId })
  t.same(outcome, { kind: 'complete' })
  t.equal(fake.refreshCallsFor(stravaId), 1, 'one refresh, before any API call')
  t.equal((await storedStravaIds(app, athleteId)).length, 10)
})

t.test('an access token within five minutes of expiry is refreshed first; one with hours left is not', async t => {
  const world = await startSyncWorld(t)
  const { app, fake } = world
  const soon = await connectedAthlete(world, 3, { minutesLeft: 3 })
  const fresh = await connectedAthlete(world, 3, { minutesLeft: 300 })
  await runSyncJob(syncDeps(app), { athleteId: soon.athleteId })
  await runSyncJob(syncDeps(app), { athleteId: fresh.athleteId })
  t.equal(fake.refreshCallsFor(soon.stravaId), 1)
  t.equal(fake.refreshCallsFor(fresh.stravaId), 0)
})

t.test('a 401 from the API refreshes the token once and retries the call', async t => {
  const world = await startSyncWorld(t)
  const { app, fake } = world
  const { athleteId, stravaId } = await connectedAthlete(world, 10)
  fake.rejectAccessTokens(stravaId)
  t.same(await runSyncJob(syncDeps(app), { athleteId }), { kind: 'complete' })
  t.equal(fake.refreshCallsFor(stravaId), 1)
  t.equal((await storedStravaIds(app, athleteId)).length, 10)
})

t.test('invalid_grant on the refresh marks the athlete disconnected and stops their sync', async t => {
  const world = await startSyncWorld(t)
  const { app, fake } = world
  const { athleteId, stravaId } = await connectedAthlete(world, 10, { minutesLeft: -1 })
  fake.revoke(stravaId)
  t.equal(await runSyncJob(syncDeps(app), { athleteId }), 'disconnected')
  const status = await syncStatus(app, athleteId)
  t.equal(status.state, 'disconnected')
  t.match(status.lastError, /invalid_grant/)
  t.same(await storedStravaIds(app, athleteId), [])
  const token = await app.db.selectFrom('strava_tokens').select('status').where('athlete_id', '=', athleteId).executeTakeFirstOrThrow()
  t.equal(token.status, 'invalid')
})

t.test('a token rotated by another instance during a job is read again after the 401 on the old one, without a second refresh', async t => {
  const world = await startSyncWorld(t)
  const { app, fake } = world
  const { athleteId, stravaId } = await connectedAthlete(world, 250)
  const deps = syncDeps(app, { perPage: 100 })
  let calls = 0
  const api = {
    ...deps.api,
    listActivities: async (...args: Parameters<typeof deps.api.listActivities>) => {
      const page = await deps.api.listActivities(...args)
      if (++calls === 1) await refreshDueTokens(deps, { athleteIds: [athleteId], withinMinutes: 365 * 24 * 60, concurrency: 1 })
      return page
    }
  }
  t.same(await runSyncJob({ ...deps, api }, { athleteId }), { kind: 'complete' })
  t.equal(fake.refreshCallsFor(stravaId), 1, 'only the other instance refreshed')
  t.equal((await storedStravaIds(app, athleteId)).length, 250)
})
