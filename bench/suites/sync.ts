import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'kysely'
import pLimit from 'p-limit'
import { upsertActivities } from '../../src/activities/service.ts'
import { buildApp, type App } from '../../src/app.ts'
import { readJson, send } from '../../src/http-client.ts'
import { ingestActivityOf } from '../../src/strava/activities.ts'
import { queueAthleteSyncs } from '../../src/strava/service.ts'
import { saveTokens } from '../../src/tokens/store.ts'
import { makeActivities, type FakeActivity } from '../../test/fake-strava-api.ts'
import { startFakeStravaProcess, type FakeStravaProcess } from '../fake-strava-process.ts'
import { alternate, andAlso, atLeast, atMost, measured, median, type CaseOutcome, type Mode, type Suite, type SuiteContext } from '../harness.ts'

interface SyncSizes {
  athletes: number
  /** Days of history per athlete, one activity a day. */
  days: number
  rounds: number
}

const sizes: Record<Mode, SyncSizes> = {
  smoke: { athletes: 6, days: 365, rounds: 1 },
  quick: { athletes: 60, days: 730, rounds: 2 },
  full: { athletes: 1000, days: 730, rounds: 1 }
}

const STRAVA_LATENCY_MS = 50
/** Strava's largest page, which the sync asks for. */
const PER_PAGE = 200
/** Limits no run comes near, so the budget is taken and checked on every call but never refuses one. */
const LIFTED_LIMIT = 1_000_000_000
const SETTLE_MS = 200
const POLL_MS = 20

interface BenchAthlete {
  id: number
  accessToken: string
  activities: FakeActivity[]
}

interface SyncWorld {
  app: App
  fake: FakeStravaProcess
  athletes: BenchAthlete[]
}

/** Athletes connected to the fake Strava, each with `days` daily activities there and tokens good for six hours. */
async function connectAthletes (app: App, fake: FakeStravaProcess, size: SyncSizes): Promise<BenchAthlete[]> {
  const rows = await app.db.insertInto('athletes')
    .columns(['strava_athlete_id'])
    .expression(sql`select g from generate_series(1::bigint, ${size.athletes}::bigint) as g`)
    .returning(['id', 'strava_athlete_id'])
    .execute()
  const expiresAt = Math.floor(Date.now() / 1000) + 6 * 3600
  // The fake builds its copy of each history from the same inputs, so only these cross to it.
  const newest = new Date().toISOString()
  const histories = rows.map((row, i) => ({ stravaId: row.strava_athlete_id!, days: size.days, firstId: 10_000_000_000 + i * 100_000, newest }))
  for (let i = 0; i < histories.length; i += 100) await fake.addHistories(histories.slice(i, i + 100))
  const issued = await fake.addAthletes(rows.map(row => row.strava_athlete_id!))
  await saveTokens(app.db, app.tokenCipher, rows.map((row, i) => ({
    athleteId: row.id, accessToken: issued[i]!.access_token, refreshToken: issued[i]!.refresh_token, expiresAt, scope: 'read,activity:read_all'
  })))
  return histories.map(({ days, firstId }, i) => ({
    id: rows[i]!.id, accessToken: issued[i]!.access_token, activities: makeActivities(days, { firstId, newest: new Date(newest) })
  }))
}

/**
 * The real app with its in-process job runner, talking to a fake Strava in a process of its
 * own (as Strava is not in trainload's process) whose rate limits are lifted: the budget is
 * still taken before every call and updated from every answer.
 */
async function startWorld (context: SuiteContext, size: SyncSizes): Promise<SyncWorld> {
  const fake = await startFakeStravaProcess(0, STRAVA_LATENCY_MS)
  await fake.setRateLimits(LIFTED_LIMIT)
  const config = {
    ...context.config,
    STRAVA_BASE_URL: fake.url,
    STRAVA_CLIENT_ID: fake.clientId,
    STRAVA_CLIENT_SECRET: fake.clientSecret,
    STRAVA_SYNC_WORKER: true,
    STRAVA_RECONCILE_INTERVAL_S: 0
  }
  try {
    const app = await buildApp({ config, databaseUrl: context.databaseUrl, logStream: process.stderr })
    await app.ready()
    return { app, fake, athletes: await connectAthletes(app, fake, size) }
  } catch (err) {
    await fake.close()
    throw err
  }
}

/** Nothing synced yet: no activities, ACWR or sync state, and an unused budget with the lifted limits, here and at the fake. */
async function resetSync ({ app, fake }: SyncWorld): Promise<void> {
  await fake.resetUsage()
  await sql`truncate activities, acwr_daily, strava_sync_state`.execute(app.db)
  await app.db.updateTable('strava_rate_budget').set({
    read_limit_15min: LIFTED_LIMIT,
    read_limit_daily: LIFTED_LIMIT,
    overall_limit_15min: LIFTED_LIMIT,
    overall_limit_daily: LIFTED_LIMIT,
    read_used_15min: 0,
    read_used_daily: 0,
    overall_used_15min: 0,
    overall_used_daily: 0
  }).execute()
}

const pagesOf = (count: number) => Math.ceil(count / PER_PAGE)

/**
 * The list calls a first sync needs: the history's pages and the empty page that ends them
 * (Strava sends no total, and a short page does not mean the last). A first backfill done in
 * one job holds the reconcile window already and does not re-list it.
 */
function pagesNeeded (athletes: BenchAthlete[]): number {
  return athletes.reduce((sum, athlete) => sum + pagesOf(athlete.activities.length) + 1, 0)
}

interface SyncRun {
  ms: number
  calls: number
  activities: number
}

/** Waits until every athlete's first sync is done; a sync that failed or stalls ends the run with an error. */
async function untilSynced (app: App, athleteIds: number[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const { rows: [counts] } = await sql<{ done: number, failed: number }>`select
        count(*) filter (where state = 'idle' and backfill_complete)::int as done,
        count(*) filter (where state in ('failed', 'disconnected', 'deferred'))::int as failed
      from strava_sync_state where athlete_id = any(${athleteIds}::bigint[])`.execute(app.db)
    if (counts!.failed > 0) throw new Error(`${counts!.failed} of ${athleteIds.length} syncs failed or were deferred; see the sync state's last_error`)
    if (counts!.done === athleteIds.length) return
    if (Date.now() > deadline) throw new Error(`only ${counts!.done} of ${athleteIds.length} syncs finished within ${timeoutMs} ms`)
    await sleep(POLL_MS)
  }
}

/** Queues the athletes' syncs as POST /admin/strava/sync does and times them until the last one is done. */
const syncRun = (world: SyncWorld, athletes: BenchAthlete[], timeoutMs: number) => async (): Promise<SyncRun> => {
  await resetSync(world)
  const ids = athletes.map(athlete => athlete.id)
  const started = performance.now()
  await queueAthleteSyncs(world.app.db, ids)
  await untilSynced(world.app, ids, timeoutMs)
  const ms = performance.now() - started
  const { rows: [stored] } = await sql<{ n: number }>`select count(*)::int as n from activities`.execute(world.app.db)
  return { ms, calls: await world.fake.resetUsage(), activities: stored!.n }
}

/**
 * The pages a first sync lists, asked for as the sync does (each athlete's one after the
 * other, until the empty page; as many athletes at once as the worker runs jobs) with nothing
 * else: no budget, token, job or write. What the calls alone cost above the ideal on this
 * machine (the fake building each page, HTTP, JSON) is a floor no sync can go under.
 */
const callsRun = (world: SyncWorld, athletes: BenchAthlete[]) => async (): Promise<SyncRun> => {
  const limit = pLimit(world.app.config.STRAVA_SYNC_CONCURRENCY)
  const before = Math.floor(Date.now() / 1000) + 60
  let activities = 0
  const started = performance.now()
  await Promise.all(athletes.map(athlete => limit(async () => {
    for (let page = 1; ; page++) {
      const response = await send(`${world.fake.url}/api/v3/athlete/activities?before=${before}&page=${page}&per_page=${PER_PAGE}`, {
        headers: { authorization: `Bearer ${athlete.accessToken}` }, timeoutMs: 15_000
      })
      if (response.statusCode !== 200) throw new Error(`the fake Strava answered HTTP ${response.statusCode} to a list call`)
      const items = await readJson(response) as unknown[]
      if (items.length === 0) return
      activities += items.length
    }
  })))
  const ms = performance.now() - started
  return { ms, calls: await world.fake.resetUsage(), activities }
}

/**
 * The same activities written through the batch path (upsertActivities, as the activities
 * routes do) in the pages the sync gets, newest first, with as many athletes at once as the
 * worker runs jobs: the database work of the sync without Strava, the budget or the jobs.
 */
const batchRun = (world: SyncWorld, athletes: BenchAthlete[]) => {
  const pages = athletes.map(athlete => {
    const rows = athlete.activities.map(ingestActivityOf).filter(row => row !== null)
    return Array.from({ length: pagesOf(rows.length) }, (_, i) => rows.slice(i * PER_PAGE, (i + 1) * PER_PAGE))
  })
  return async (): Promise<SyncRun> => {
    await resetSync(world)
    const limit = pLimit(world.app.config.STRAVA_SYNC_CONCURRENCY)
    const started = performance.now()
    await Promise.all(athletes.map((athlete, i) => limit(async () => {
      for (const page of pages[i]!) await upsertActivities(world.app.db, athlete.id, page, 'strava')
    })))
    const ms = performance.now() - started
    return { ms, calls: 0, activities: pages.flat(2).length }
  }
}

const medianRun = (runs: SyncRun[]) => median(runs.map(run => run.ms))

function latencyCases (world: SyncWorld, size: SyncSizes, samples: { sync: SyncRun[], calls: SyncRun[] }): CaseOutcome[] {
  const concurrency = world.app.config.STRAVA_SYNC_CONCURRENCY
  const pages = pagesNeeded(world.athletes)
  const idealMs = pages * STRAVA_LATENCY_MS / concurrency
  const wallMs = medianRun(samples.sync)
  const callsMs = medianRun(samples.calls)
  const extraCalls = samples.sync.map(run => run.calls - pages)
  const complete = samples.sync.every(run => run.activities === size.athletes * size.days)
  const shape = `${size.athletes} athletes × ${size.days} days, fake Strava at ${STRAVA_LATENCY_MS} ms, concurrency ${concurrency}`
  const ofIdeal = 'wall ms / ideal (pages x latency / concurrency)'
  return [
    measured({
      case: `first sync of ${shape}, through the job runner`,
      medianMs: wallMs,
      runs: samples.sync.length,
      throughput: { value: 1000 * pages / wallMs, unit: 'pages/s' },
      ratio: { value: wallMs / idealMs, unit: 'x', of: ofIdeal },
      target: andAlso(atMost(1.2, 'x'), 'every activity stored', complete),
      details: { athletes: size.athletes, days: size.days, pagesNeeded: pages, callsPerRun: samples.sync.map(run => run.calls).join(' '), latencyMs: STRAVA_LATENCY_MS, concurrency, idealMs, callsAloneMs: callsMs, poolMax: world.app.config.DB_POOL_MAX },
      note: [
        `${(wallMs / callsMs).toFixed(2)}x the same calls made alone`,
        extraCalls.some(extra => extra !== 0) ? `calls beyond the pages needed, per run: ${extraCalls.join(', ')}` : undefined
      ].filter(Boolean).join('; ')
    }),
    measured({
      case: `the same list calls alone, no writes: ${shape}`,
      medianMs: callsMs,
      runs: samples.calls.length,
      throughput: { value: 1000 * pages / callsMs, unit: 'pages/s' },
      ratio: { value: callsMs / idealMs, unit: 'x', of: ofIdeal },
      details: { pagesNeeded: pages, callsPerRun: samples.calls.map(run => run.calls).join(' '), idealMs },
      note: 'the floor under the sync on this machine: the fake building each page, HTTP and JSON, with nothing written'
    })
  ]
}

function databaseCases (world: SyncWorld, size: SyncSizes, samples: { sync: SyncRun[], batch: SyncRun[] }): CaseOutcome[] {
  const concurrency = world.app.config.STRAVA_SYNC_CONCURRENCY
  const rows = size.athletes * size.days
  const rate = (runs: SyncRun[]) => 1000 * rows / medianRun(runs)
  const shape = `${rows.toLocaleString('en-US')} activities, ${size.athletes} athletes in pages of ${PER_PAGE}, ${concurrency} at once`
  const complete = samples.sync.every(run => run.activities === rows)
  return [
    measured({
      case: `batch path: upsertActivities per page, newest first, ${shape}`,
      medianMs: medianRun(samples.batch),
      runs: samples.batch.length,
      throughput: { value: rate(samples.batch), unit: 'rows/s' },
      details: { activities: rows, athletes: size.athletes, perPage: PER_PAGE, concurrency }
    }),
    measured({
      case: `sync at 0 ms: the same activities from the fake Strava through the job runner, ${shape}`,
      medianMs: medianRun(samples.sync),
      runs: samples.sync.length,
      throughput: { value: rate(samples.sync), unit: 'rows/s' },
      ratio: { value: 100 * rate(samples.sync) / rate(samples.batch), unit: '%', of: 'sync rows/s / batch rows/s' },
      target: andAlso(atLeast(80, '%'), 'every activity stored', complete),
      details: { activities: rows, athletes: size.athletes, perPage: PER_PAGE, concurrency, callsPerRun: samples.sync.map(run => run.calls).join(' ') },
      note: 'the sync also pays what the batch side leaves out: the list calls, the budget, token reads and jobs'
    })
  ]
}

async function measureSync (context: SuiteContext, world: SyncWorld, size: SyncSizes): Promise<CaseOutcome[]> {
  const ideal = pagesNeeded(world.athletes) * STRAVA_LATENCY_MS / world.app.config.STRAVA_SYNC_CONCURRENCY
  // A stalled run fails well before the process would be killed, with how far it got.
  const timeoutMs = Math.max(60_000, 10 * ideal)
  const warmupAthletes = world.athletes.slice(0, Math.min(world.athletes.length, 2 * world.app.config.STRAVA_SYNC_CONCURRENCY))
  await syncRun(world, warmupAthletes, timeoutMs)()
  await batchRun(world, warmupAthletes)()

  const atLatency = await alternate({ sync: syncRun(world, world.athletes, timeoutMs), calls: callsRun(world, world.athletes) },
    { warmup: 0, rounds: size.rounds, settleMs: SETTLE_MS, progress: context.progress(`sync: at ${STRAVA_LATENCY_MS} ms`, size.rounds) })
  await world.fake.setLatency(0, 0)
  const database = await alternate({ sync: syncRun(world, world.athletes, timeoutMs), batch: batchRun(world, world.athletes) },
    { warmup: 0, rounds: size.rounds, settleMs: SETTLE_MS, progress: context.progress('sync: at 0 ms against the batch path', size.rounds) })
  return [...latencyCases(world, size, atLatency), ...databaseCases(world, size, database)]
}

export const syncSuite: Suite = {
  name: 'sync',
  summary: 'first Strava sync of many athletes through the job runner, against the ideal pages x latency / concurrency; at 0 ms against the batch path',
  run: async context => {
    const size = sizes[context.mode]
    const world = await startWorld(context, size)
    try {
      return await measureSync(context, world, size)
    } finally {
      await world.app.close()
      await world.fake.close()
    }
  }
}
