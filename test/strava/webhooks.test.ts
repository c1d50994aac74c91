import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import type { App } from '../../src/app.ts'
import { adminHeaders, readAcwr, run } from '../fixtures.ts'
import { connectedAthlete, startSyncWorld, storedStravaIds, syncStatus, type SyncWorld } from './fixtures.ts'

const SUBSCRIPTION_ID = 4242
const env = { STRAVA_WEBHOOK_VERIFY_TOKEN: 'verify-me-please', STRAVA_SUBSCRIPTION_ID: String(SUBSCRIPTION_ID) }

/** Polls `check` until it holds, for at most 30 s; fails the test otherwise. */
async function eventually (t: Test, what: string, check: () => Promise<boolean>) {
  const until = Date.now() + 30_000
  while (!await check()) {
    if (Date.now() > until) return t.fail(`${what} did not happen`)
    await sleep(100)
  }
  t.pass(what)
}

const event = (fields: Record<string, unknown>) => ({ subscription_id: SUBSCRIPTION_ID, event_time: 1_770_000_000, updates: {}, ...fields })
const post = (app: App, body: unknown) => app.inject({ method: 'POST', url: '/webhooks/strava', payload: body as Record<string, unknown> })

interface PmcValuesView { load: number | null, ctl: number, atl: number, tsb: number }

/** The athlete's PMC days (GET /api/athletes/:id/pmc) with this query. */
async function readPmc (app: App, athleteId: number, query = ''): Promise<Array<{ date: string, external: PmcValuesView }>> {
  const res = await app.inject({ url: `/api/athletes/${athleteId}/pmc${query}`, headers: adminHeaders })
  if (res.statusCode !== 200) throw new Error(`reading the PMC failed: ${res.body}`)
  return res.json().days
}

async function storedActivity (app: App, athleteId: number, id: number) {
  return app.db.selectFrom('activities').select(['name', 'sport_type', 'external_load', 'source']).where('athlete_id', '=', athleteId).where('id', '=', id).executeTakeFirst()
}

async function synced (t: Test, world: SyncWorld, count: number) {
  const athlete = await connectedAthlete(world, count)
  const queued = await world.app.inject({ method: 'POST', url: `/api/athletes/${athlete.athleteId}/strava/sync`, headers: adminHeaders })
  t.equal(queued.statusCode, 202)
  await eventually(t, 'the backfill finished', async () => {
    const status = await syncStatus(world.app, athlete.athleteId)
    return status.backfillComplete === true && status.state === 'idle'
  })
  return athlete
}

t.test('the subscription check echoes the challenge only for the configured verify token', async t => {
  const { app } = await startSyncWorld(t, { env })
  const check = (token: string, mode = 'subscribe') => app.inject({ url: `/webhooks/strava?hub.mode=${mode}&hub.challenge=abc123&hub.verify_token=${token}` })
  const ok = await check('verify-me-please')
  t.same([ok.statusCode, ok.json()], [200, { 'hub.challenge': 'abc123' }])
  t.equal((await check('wrong')).statusCode, 403)
  t.equal((await check('verify-me-please', 'unsubscribe')).statusCode, 400, 'a mode other than subscribe is malformed')
  const { app: unconfigured } = await startSyncWorld(t)
  t.equal((await unconfigured.inject({ url: '/webhooks/strava?hub.mode=subscribe&hub.challenge=x&hub.verify_token=' })).statusCode, 403, 'no verify token configured refuses every check')
})

t.test('activity create, update and delete events change the stored activity and the ACWR and PMC series; a retried event changes nothing', async t => {
  const world = await startSyncWorld(t, { worker: true, env })
  const { app, fake } = world
  const { athleteId, stravaId, activities } = await synced(t, world, 20)
  // Delivered as Strava does, over HTTP to the listening service.
  const address = await app.listen({ host: '127.0.0.1', port: 0 })

  const created = { ...activities[0]!, id: 30_000_000_001, name: 'Evening run', sport_type: 'Run', distance: 12_000 }
  const day = created.start_date_local.slice(0, 10)
  const loadOn = async () => (await readAcwr(app, athleteId, `?from=${day}&to=${day}`))[0]!.external.load
  const pmcOn = async () => (await readPmc(app, athleteId, `?from=${day}&to=${day}`))[0]!.external
  const series = async () => ({ acwr: await readAcwr(app, athleteId, `?from=${activities.at(-1)!.start_date_local.slice(0, 10)}`), pmc: await readPmc(app, athleteId) })
  const seriesBeforeCreate = await series()
  const pmcBeforeCreate = await pmcOn()

  fake.activities.add(stravaId, [created])
  const status = await fake.sendWebhook(`${address}/webhooks/strava`, event({ object_type: 'activity', aspect_type: 'create', object_id: created.id, owner_id: stravaId }))
  t.equal(status, 200)
  await eventually(t, 'the created activity was stored', async () => (await storedActivity(app, athleteId, created.id)) !== undefined)
  const pmcAfterCreate = await pmcOn()
  t.ok(pmcAfterCreate.load! > pmcBeforeCreate.load! && pmcAfterCreate.ctl > pmcBeforeCreate.ctl && pmcAfterCreate.atl > pmcBeforeCreate.atl,
    `the PMC followed the create: load ${pmcBeforeCreate.load} → ${pmcAfterCreate.load}, ctl ${pmcBeforeCreate.ctl} → ${pmcAfterCreate.ctl}`)

  const before = await loadOn()
  fake.activities.update(stravaId, created.id, { name: 'Evening ride', sport_type: 'Ride' })
  const update = event({ object_type: 'activity', aspect_type: 'update', object_id: created.id, owner_id: stravaId, event_time: 1_770_000_100, updates: { title: 'Evening ride', type: 'Ride' } })
  t.same((await post(app, update)).json(), { status: 'queued' })
  await eventually(t, 'the rename and change of sport were stored', async () => {
    const stored = await storedActivity(app, athleteId, created.id)
    return stored?.sport_type === 'Ride' && stored.name === 'Evening ride'
  })
  t.ok(await loadOn() < before, 'a ride of the same distance loads less than a run: the series followed the update')
  const pmcAfterUpdate = await pmcOn()
  t.ok(pmcAfterUpdate.load! < pmcAfterCreate.load! && pmcAfterUpdate.ctl < pmcAfterCreate.ctl && pmcAfterUpdate.atl < pmcAfterCreate.atl,
    `the PMC followed the change of sport: load ${pmcAfterCreate.load} → ${pmcAfterUpdate.load}, ctl ${pmcAfterCreate.ctl} → ${pmcAfterUpdate.ctl}`)

  const listCalls = fake.rateLimits.served
  const seriesBeforeRetry = await series()
  t.same((await post(app, update)).json(), { status: 'duplicate' }, 'a retried delivery is recognised')
  await sleep(300)
  t.equal(fake.rateLimits.served, listCalls, 'and fetches nothing')
  t.same(await series(), seriesBeforeRetry, 'and changes neither the ACWR nor the PMC series')

  fake.activities.remove(stravaId, created.id)
  t.same((await post(app, event({ object_type: 'activity', aspect_type: 'delete', object_id: created.id, owner_id: stravaId, event_time: 1_770_000_200 }))).json(), { status: 'queued' })
  await eventually(t, 'the deleted activity was removed', async () => (await storedActivity(app, athleteId, created.id)) === undefined)
  t.ok(await loadOn() < before, 'the series followed the delete')
  t.same(await series(), seriesBeforeCreate, 'the ACWR and PMC series are again what they were before the create')
  t.equal((await storedStravaIds(app, athleteId)).length, 20)
})

t.test('events of unknown athletes, other subscriptions or other athlete updates are answered 200 and ignored; a malformed one is a 400', async t => {
  const { app } = await startSyncWorld(t, { env })
  const ignored = [
    event({ object_type: 'activity', aspect_type: 'create', object_id: 5, owner_id: 123_456_789 }),
    event({ object_type: 'activity', aspect_type: 'create', object_id: 5, owner_id: 1, subscription_id: 999 }),
    event({ object_type: 'athlete', aspect_type: 'update', object_id: 1, owner_id: 1, updates: { authorized: 'true' } })
  ]
  for (const body of ignored) {
    const reply = await post(app, body)
    t.same([reply.statusCode, reply.json()], [200, { status: 'ignored' }])
  }
  const malformed = await post(app, { object_type: 'activity', aspect_type: 'create', object_id: 'x' })
  t.equal(malformed.statusCode, 400)
  const rows = await app.db.selectFrom('strava_webhook_events').selectAll().execute()
  t.same(rows, [], 'nothing was recorded')
})

t.test('a deauthorization event deletes the Strava-sourced data and the tokens, and keeps pushed and imported activities', async t => {
  const world = await startSyncWorld(t, { worker: true, env })
  const { app } = world
  const { athleteId, stravaId, activities } = await synced(t, world, 15)
  const pushed = await app.inject({ method: 'PUT', url: `/api/athletes/${athleteId}/activities`, headers: adminHeaders, payload: { activities: [run(1, activities[3]!.start_date_local.slice(0, 10), 9)] } })
  t.equal(pushed.statusCode, 200)
  await app.db.updateTable('activities').set({ source: 'import' }).where('athlete_id', '=', athleteId).where('id', '=', activities[5]!.id).execute()

  const reply = await post(app, event({ object_type: 'athlete', aspect_type: 'update', object_id: stravaId, owner_id: stravaId, updates: { authorized: 'false' } }))
  t.same(reply.json(), { status: 'queued' })
  await eventually(t, 'the athlete was disconnected', async () => (await syncStatus(app, athleteId)).state === 'disconnected')
  t.same(await storedStravaIds(app, athleteId), [])
  const kept = await app.db.selectFrom('activities').select(['id', 'source']).where('athlete_id', '=', athleteId).orderBy('id').execute()
  t.same(kept, [{ id: 1, source: 'api' }, { id: activities[5]!.id, source: 'import' }])
  t.equal(await app.db.selectFrom('strava_tokens').select('athlete_id').where('athlete_id', '=', athleteId).executeTakeFirst(), undefined)
  const series = await readAcwr(app, athleteId, `?from=${activities[14]!.start_date_local.slice(0, 10)}`)
  const total = series.reduce((sum, d) => sum + d.external.load, 0)
  const expected = await app.db.selectFrom('activities').select(eb => eb.fn.sum<number>('external_load').as('sum')).where('athlete_id', '=', athleteId).executeTakeFirstOrThrow()
  t.equal(Math.round(total * 100), Math.round(Number(expected.sum) * 100), 'the ACWR series holds only the kept activities\' load')
})

t.test('DELETE /api/athletes/:athleteId/strava tells Strava, deletes the Strava data and keeps the pushed activities', async t => {
  const world = await startSyncWorld(t, { worker: true })
  const { app, fake } = world
  const { athleteId, activities } = await synced(t, world, 12)
  await app.inject({ method: 'PUT', url: `/api/athletes/${athleteId}/activities`, headers: adminHeaders, payload: { activities: [run(2, activities[0]!.start_date_local.slice(0, 10), 5)] } })
  const reply = await app.inject({ method: 'DELETE', url: `/api/athletes/${athleteId}/strava`, headers: adminHeaders })
  t.equal(reply.statusCode, 204)
  t.equal(fake.calls.deauthorize, 1, 'Strava was told to revoke the grant')
  t.same(await storedStravaIds(app, athleteId), [])
  const kept = await app.db.selectFrom('activities').select('id').where('athlete_id', '=', athleteId).execute()
  t.same(kept, [{ id: 2 }])
  t.match(await syncStatus(app, athleteId), { state: 'disconnected', backfillComplete: false, activitiesSynced: 0 })
  const again = await app.inject({ method: 'POST', url: `/api/athletes/${athleteId}/strava/sync`, headers: adminHeaders })
  t.equal(again.statusCode, 409, 'no sync without a new connection')
  t.equal((await app.inject({ method: 'DELETE', url: '/api/athletes/987654/strava', headers: adminHeaders })).statusCode, 404)
})
