import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'kysely'
import t, { type Test } from 'tap'
import type { App } from '../../src/app.ts'
import { nextQuarter } from '../../src/strava/budget.ts'
import { runSyncJob } from '../../src/strava/tasks.ts'
import { adminHeaders } from '../fixtures.ts'
import { makeActivities, type FakeActivity } from '../fake-strava-api.ts'
import type { FakeStrava } from '../fake-strava.ts'
import { build, createTestDatabase } from '../helper.ts'
import { startFake, stravaEnv } from '../tokens/fixtures.ts'
import { connectedAthlete, startSyncWorld, storedStravaIds, syncDeps, visibleIds } from './fixtures.ts'

const ATHLETES = 50
const RESERVE = 0.1
const PER_PAGE = 200
const RECONCILE_DAYS = 30

/** mulberry32: a small seeded generator, so every run builds the same fleet. */
function seeded (seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let x = Math.imul(state ^ (state >>> 15), 1 | state)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32
  }
}

/**
 * `days` days of history ending yesterday: each day holds none (40%), one (50%) or two (10%)
 * activities. makeActivities every half day from yesterday 18:00 UTC dates two candidates on
 * each day (its times of day are its own), of which a day takes none, the first or both.
 */
function history (days: number, firstId: number, random: () => number): FakeActivity[] {
  const now = new Date()
  const yesterdayEvening = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - 1, 18))
  const candidates = makeActivities(days * 2, { firstId, newest: yesterdayEvening, everyDays: 0.5 })
  return Array.from({ length: days }, (_, day) => {
    const r = random()
    return r < 0.4 ? [] : r < 0.9 ? [candidates[2 * day]!] : [candidates[2 * day]!, candidates[2 * day + 1]!]
  }).flat()
}

/**
 * The reads a first sync takes in one job: the history's list pages on the fake through the
 * empty one that ends them. The recent window is in them and is not re-listed.
 */
function readsOfFirstSync (fake: FakeStrava, stravaId: number): number {
  let page = 1
  while (fake.activities.list(stravaId, { page: String(page), per_page: String(PER_PAGE) }).length > 0) page++
  return page
}

async function fleetStatus (app: App) {
  const res = await app.inject({ url: '/admin/strava/sync-status', headers: adminHeaders })
  if (res.statusCode !== 200) throw new Error(`reading the fleet status failed: ${res.body}`)
  return res.json()
}

/** Polls the fleet status until every athlete is idle with the backfill complete, for at most `timeoutMs`. */
async function waitForFleet (t: Test, app: App, athleteIds: number[], timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const done = await app.db.selectFrom('strava_sync_state').select('athlete_id')
      .where('athlete_id', 'in', athleteIds).where('state', '=', 'idle').where('backfill_complete', '=', true)
      .execute()
    if (done.length === athleteIds.length) return true
    if (Date.now() > until) {
      t.fail(`${done.length} of ${athleteIds.length} athletes finished: ${JSON.stringify((await fleetStatus(app)).athletes)}`)
      return false
    }
    await sleep(200)
  }
}

/** Waits for the next quarter hour when the current one ends within `marginMs`, so what follows sees one 15-minute window. */
async function clearOfQuarterEnd (marginMs: number): Promise<void> {
  const left = nextQuarter(new Date()).getTime() - Date.now()
  if (left < marginMs) await sleep(left + 50)
}

/** Each instance's log, reduced to the athletes whose sync jobs it ran. */
function syncJobsSeen () {
  const athletes = new Set<number>()
  const onLog = (chunk: string) => {
    for (const line of chunk.split('\n').filter(Boolean)) {
      const entry = JSON.parse(line) as { msg?: string, athleteId?: number }
      if (entry.msg === 'Strava sync job done' && entry.athleteId !== undefined) athletes.add(entry.athleteId)
    }
  }
  return { athletes, onLog }
}

t.test('a fleet of 50 athletes with 1–3 years each backfills completely through two instances sharing one database: every activity exactly once, no 429 ever served, total reads within the budget', async t => {
  const fake = await startFake(t)
  const databaseUrl = await createTestDatabase(t)
  const env = { ...stravaEnv(fake), STRAVA_SYNC_WORKER: 'true', STRAVA_RATE_RESERVE: String(RESERVE), STRAVA_RECONCILE_DAYS: String(RECONCILE_DAYS) }
  const seenByA = syncJobsSeen()
  const seenByB = syncJobsSeen()
  const a = await build(t, { databaseUrl, env, onLog: seenByA.onLog })
  const b = await build(t, { databaseUrl, env, onLog: seenByB.onLog })

  const random = seeded(13)
  const fleet: Array<{ athleteId: number, stravaId: number, activities: FakeActivity[] }> = []
  for (let n = 0; n < ATHLETES; n++) {
    const { athleteId, stravaId } = await connectedAthlete({ app: a, fake }, 0)
    const activities = history(365 + Math.floor(random() * 731), 20_000_000_000 + n * 10_000, random)
    fake.activities.add(stravaId, activities)
    // Every fifth athlete has activities Strava lists without showing: their pages come out short.
    if (n % 5 === 0) for (const activity of activities.filter(() => random() < 0.05)) fake.activities.hidden.add(activity.id)
    fleet.push({ athleteId, stravaId, activities })
  }
  const reads = fleet.reduce((sum, { stravaId }) => sum + readsOfFirstSync(fake, stravaId), 0)
  // A budget that is real but enough: the usable share of the 15-minute limit holds the reads with ten to spare.
  const limit15 = Math.ceil((reads + 10) / (1 - RESERVE))
  fake.rateLimits.limits = { read: [limit15, 10 * limit15], overall: [2 * limit15, 20 * limit15] }
  const usable = Math.floor(limit15 * (1 - RESERVE))

  const queued = await a.inject({ method: 'POST', url: '/admin/strava/sync', headers: adminHeaders, payload: {} })
  t.same([queued.statusCode, queued.json()], [202, { queued: ATHLETES }], 'every athlete was queued, as an operator queues them')
  if (!await waitForFleet(t, a, fleet.map(athlete => athlete.athleteId), 120_000)) return

  for (const { athleteId, activities } of fleet) {
    const stored = await storedStravaIds(a, athleteId)
    const expected = visibleIds(fake, activities)
    if (stored.length !== expected.length || stored.some((id, i) => id !== expected[i])) {
      t.same(stored, expected, `athlete ${athleteId}: the stored Strava ids are the fake's`)
    }
  }
  const total = await a.db.selectFrom('activities').select(eb => eb.cast<number>(eb.fn.countAll(), 'integer').as('n')).where('source', '=', 'strava').executeTakeFirstOrThrow()
  const visible = fleet.reduce((sum, { activities }) => sum + visibleIds(fake, activities).length, 0)
  t.equal(total.n, visible, `every one of the fleet's ${visible} visible activities is stored once, per athlete exactly the fake's ids`)

  t.equal(fake.rateLimits.served429, 0, 'no 429 was ever served')
  t.ok(fake.rateLimits.served + fake.rateLimits.served429 <= usable, `${fake.rateLimits.served} calls served, within the usable budget of ${usable} (first sync needs ${reads})`)

  const allAthletes = new Set(fleet.map(athlete => athlete.athleteId))
  t.ok(seenByA.athletes.size > 0 && seenByB.athletes.size > 0, `both instances ran sync jobs: ${seenByA.athletes.size} and ${seenByB.athletes.size} athletes`)
  t.same(new Set([...seenByA.athletes, ...seenByB.athletes]), allAthletes, 'between them, every athlete\'s sync')

  // ACWR and PMC cover every day from each athlete's first activity through today in their zone.
  const series = await a.db.selectFrom('acwr_daily')
    .innerJoin('athletes', 'athletes.id', 'acwr_daily.athlete_id')
    .select(eb => ['acwr_daily.athlete_id',
      eb.fn.min('acwr_daily.day').as('first'), eb.fn.max('acwr_daily.day').as('last'),
      eb.cast<number>(eb.fn.countAll(), 'integer').as('days'),
      eb.cast<number>(eb.fn.count('acwr_daily.external_ctl'), 'integer').as('pmcDays'),
      sql<string>`max((now() at time zone athletes.timezone)::date)`.as('today')])
    .where('acwr_daily.athlete_id', 'in', [...allAthletes])
    .groupBy('acwr_daily.athlete_id')
    .execute()
  const firstDays = await a.db.selectFrom('activities').select(eb => ['athlete_id', eb.fn.min('day').as('first')])
    .where('athlete_id', 'in', [...allAthletes]).groupBy('athlete_id').execute()
  const firstDayOf = new Map(firstDays.map(row => [row.athlete_id, String(row.first)]))
  const dayCount = (first: string, last: string) => (Date.parse(last) - Date.parse(first)) / 86_400_000 + 1
  const incomplete = series.filter(row => String(row.first) !== firstDayOf.get(row.athlete_id) || String(row.last) !== String(row.today) ||
    row.days !== dayCount(String(row.first), String(row.last)) || row.pmcDays !== row.days)
  t.equal(series.length, ATHLETES, 'every athlete has an ACWR and PMC series')
  t.same(incomplete, [], 'each one a row for every day from the first activity through today')

  // The 15-minute count may have rolled on the wall clock by now; the next test pins it.
  const { budget } = await fleetStatus(b)
  t.match(budget, { read15min: { limit: limit15 }, readDaily: { limit: 10 * limit15, used: fake.rateLimits.served } },
    'either instance reports the shared budget: the limits Strava stated, and every call of both counted once')
})

t.test('the fleet status reports the read budget used exactly, in both windows, and the limits Strava stated', async t => {
  const world = await startSyncWorld(t)
  const { app, fake } = world
  fake.rateLimits.limits = { read: [300, 3000], overall: [600, 6000] }
  await clearOfQuarterEnd(15_000)
  const before = (await fleetStatus(app)).budget
  t.match(before, { read15min: { used: 0 }, readDaily: { used: 0 } }, 'nothing used before the first call')

  // 450 activities at 100 a page, two a job: five pages and the empty one, then, as the
  // backfill was resumed, the recent window and its empty page.
  const { athleteId } = await connectedAthlete(world, 450)
  const deps = syncDeps(app, { perPage: 100, pagesPerJob: 2 })
  t.match(await runSyncJob(deps, { athleteId }), { kind: 'continue' }, 'the first job wrote its two pages')
  t.match((await fleetStatus(app)).budget, { read15min: { limit: 300, used: 2 }, readDaily: { limit: 3000, used: 2 } }, 'two calls: two used, and the stated limits')
  for (let job = 0; job < 5; job++) if ((await runSyncJob(deps, { athleteId }) as { kind: string }).kind === 'complete') break
  t.equal(fake.rateLimits.served, 8, 'the backfill and its re-list took eight calls')
  t.match((await fleetStatus(app)).budget, { read15min: { used: 8 }, readDaily: { used: 8 } }, 'eight calls: eight used')

  // Calls of another deployment with the same client id show in Strava's daily count, and so in ours.
  fake.rateLimits.usage.read[1] += 40
  t.match(await runSyncJob(deps, { athleteId }), { kind: 'complete' }, 'a second sync re-listed the recent window in two calls')
  t.match((await fleetStatus(app)).budget, { read15min: { used: 10 }, readDaily: { used: 50 } }, 'the daily count adopts what Strava stated')
})
