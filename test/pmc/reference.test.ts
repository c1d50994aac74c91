import { sql } from 'kysely'
import t from 'tap'
import { build } from '../helper.ts'
import { daysAgo } from '../fixtures.ts'
import { upsertActivities } from '../../src/activities/service.ts'
import { externalLoad, trimp } from '../../src/activities/loads.ts'
import type { NewActivity } from '../../src/activities/schemas.ts'
import { recalculateAcwr } from '../../src/acwr/recalculate.ts'
import { PMC_COLUMNS, PMC_VALUES } from '../../src/acwr/pmc.ts'
import { updateSettings } from '../../src/athletes/service.ts'
import { referencePmc, type PmcSettings, type ReferencePmcDay } from './reference.ts'

/** A small deterministic generator, so a failure can be reproduced. */
function random (seed: number) {
  let state = seed
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648
    return state / 2147483648
  }
}

function randomWindows (next: () => number): PmcSettings {
  const ctlDays = 7 + Math.floor(next() * 114)
  return { ctlDays, atlDays: 2 + Math.floor(next() * (Math.min(28, ctlDays - 1) - 1)) }
}

/** A history with rest days, zero-load days, doubles, and now and then a break of 30–90 days. */
function randomHistory (next: () => number) {
  const historyDays = 20 + Math.floor(next() * 220)
  const activities: NewActivity[] = []
  let breakLeft = 0
  for (let ago = historyDays - 1; ago >= 0; ago--) {
    if (breakLeft > 0) { breakLeft--; continue }
    if (ago < historyDays - 1 && next() < 0.02) breakLeft = 30 + Math.floor(next() * 60)
    // The first day always has an activity.
    const count = ago === historyDays - 1 ? 1 : [0, 0, 1, 1, 1, 2, 3][Math.floor(next() * 7)]!
    for (let i = 0; i < count; i++) {
      const zero = next() < 0.1
      activities.push({
        id: activities.length + 1,
        sportType: ['Run', 'Ride', 'Swim', 'WeightTraining'][Math.floor(next() * 4)]!,
        startDateLocal: `${daysAgo(ago)}T${String(6 + i * 5).padStart(2, '0')}:15:00`,
        movingTimeS: zero ? 0 : 600 + Math.floor(next() * 7200),
        distanceM: zero ? 0 : Math.round(next() * 30000),
        elevationGainM: Math.round(next() * 400),
        ...(next() < 0.7 ? { averageHeartrate: 100 + Math.round(next() * 80) } : {})
      })
    }
  }
  return { historyDays, activities }
}

/** The daily loads, in id order within a day as the engine sums them; a day with an unknown TRIMP is unknown. */
function dailyLoads (historyDays: number, activities: NewActivity[]) {
  const external = Array<number>(historyDays).fill(0)
  const internal = Array<number | null>(historyDays).fill(0)
  for (const activity of [...activities].sort((a, b) => a.id - b.id)) {
    const day = historyDays - 1 - Math.round((Date.parse(daysAgo(0)) - Date.parse(activity.startDateLocal.slice(0, 10))) / 86_400_000)
    external[day]! += externalLoad(activity)
    const internalLoad: number | null = trimp(activity.movingTimeS, activity.averageHeartrate, { sex: null, restingHr: null, maxHr: null })
    internal[day] = internalLoad === null || internal[day] === null ? null : internal[day]! + internalLoad
  }
  return { external, internal }
}

const near = (actual: number | null, expected: number | null) =>
  actual === expected || (actual !== null && expected !== null && Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)))

const matches = (row: Record<string, unknown>, load: 'external' | 'internal', expected: ReferencePmcDay) =>
  near(row[`${load}_ctl`] as number, expected.ctl) && near(row[`${load}_atl`] as number, expected.atl) &&
  near(row[`${load}_tsb`] as number, expected.tsb) && near(row[`${load}_ramp_rate`] as number | null, expected.rampRate) &&
  near(row[`${load}_monotony`] as number | null, expected.monotony) && near(row[`${load}_strain`] as number | null, expected.strain)

t.test('the stored PMC matches a plain TypeScript PMC to 1e-9 on 40 random athletes, through window changes and incremental writes', async t => {
  const app = await build(t)
  const next = random(20261202)
  const athletes = Array.from({ length: 40 }, () => ({ initial: randomWindows(next), changed: next() < 0.5 ? randomWindows(next) : null, ...randomHistory(next) }))
  const ids = (await app.db.insertInto('athletes')
    .values(athletes.map(({ initial }) => ({ ctl_days: initial.ctlDays, atl_days: initial.atlDays })))
    .returning('id').execute()).map(row => row.id)

  // Older activities first; then, for half the athletes, new windows (a full recompute); then
  // the rest with some earlier ones changed, which recomputes from the earliest day touched.
  for (const [index, athlete] of athletes.entries()) {
    const { activities, changed } = athlete
    const split = Math.floor(activities.length * 0.7)
    await upsertActivities(app.db, ids[index]!, activities.slice(0, split))
    if (changed) await updateSettings(app.db, ids[index]!, changed)
    const revised = activities.slice(Math.floor(split / 2), Math.floor(split / 2) + 3)
      .map(a => ({ ...a, movingTimeS: a.movingTimeS + 300, distanceM: (a.distanceM ?? 0) + 1000 }))
    for (const one of revised) activities[activities.findIndex(a => a.id === one.id)] = one
    await upsertActivities(app.db, ids[index]!, [...activities.slice(split), ...revised])
  }

  const rows = await app.db.selectFrom('acwr_daily').selectAll().orderBy('athlete_id').orderBy('day').execute()
  let compared = 0
  let mismatches = 0
  for (const [index, { initial, changed, historyDays, activities }] of athletes.entries()) {
    const windows = changed ?? initial
    const loads = dailyLoads(historyDays, activities)
    const expected = { external: referencePmc(loads.external, windows), internal: referencePmc(loads.internal, windows) }
    const stored = rows.filter(row => row.athlete_id === ids[index])
    t.equal(stored.length, historyDays, `athlete ${index}: one row per day`)
    stored.forEach((row, day) => {
      compared++
      if (matches(row, 'external', expected.external[day]!) && matches(row, 'internal', expected.internal[day]!)) return
      if (mismatches++ < 5) t.fail(`athlete ${index} ${JSON.stringify(windows)} day ${day}`, { row, external: expected.external[day], internal: expected.internal[day] })
    })
  }
  t.equal(mismatches, 0, `all ${compared} athlete-days match`)
  t.ok(athletes.some(athlete => athlete.changed) && athletes.some(athlete => !athlete.changed), 'both kinds of athlete are covered')

  const pmcOf = (all: typeof rows) => all.map(row => [row.athlete_id, row.day, ...PMC_COLUMNS.map(name => row[name as keyof typeof row])])
  await recalculateAcwr(app.db, { from: null, batchSize: 10 })
  const recomputed = await app.db.selectFrom('acwr_daily').selectAll().orderBy('athlete_id').orderBy('day').execute()
  t.same(pmcOf(recomputed), pmcOf(rows), 'a full recompute gives exactly the values the incremental writes stored')
})

t.test('the PMC statement carries CTL and ATL over unknown days and matches the reference on histories with them', async t => {
  // Heart rate missing makes an internal load unknown; the statement reads it as null. The
  // statement's PMC part runs here on hand-made series with nulls and long runs of zeros.
  const app = await build(t)
  const next = random(1998)
  let mismatches = 0
  for (let history = 0; history < 20; history++) {
    const windows = randomWindows(next)
    const days = 10 + Math.floor(next() * 300)
    const loads = Array.from({ length: days }, (_, day) => {
      if (day > 0 && next() < 0.15) return null
      return next() < 0.3 ? 0 : Math.round(next() * 20000) / 100
    })
    const { rows } = await sql<Record<string, number | null>>`
      with model_values as (
        select 1::bigint as athlete_id, '2020-01-01'::date + offset_days as day,
          '2020-01-01'::date as first_day, '2020-01-01'::date as recompute_from,
          ${windows.ctlDays}::smallint as ctl_days, ${windows.atlDays}::smallint as atl_days,
          0::float8 as external_load, (${loads}::float8[])[offset_days + 1] as internal_load
        from generate_series(0, ${days - 1}) as offset_days
      ),
      ${PMC_VALUES}
      select * from pmc_values order by day
    `.execute(app.db)
    const expected = referencePmc(loads, windows)
    rows.forEach((row, day) => {
      if (matches(row, 'internal', expected[day]!)) return
      if (mismatches++ < 5) t.fail(`history ${history} ${JSON.stringify(windows)} day ${day}`, { row, expected: expected[day], load: loads[day] })
    })
    t.equal(rows.length, days)
  }
  t.equal(mismatches, 0, 'every day matches')

  // By hand, τ = 42 and 7: 100, then an unknown day, then 0. CTL stays 2.35283133 on the
  // unknown day instead of decaying to 2.29747, and falls only on the rest day after it.
  const { rows: [, unknown, rest] } = await sql<{ internal_ctl: number, internal_atl: number, internal_monotony: number | null }>`
    with model_values as (
      select 1::bigint as athlete_id, '2020-01-01'::date + offset_days as day, '2020-01-01'::date as first_day,
        '2020-01-01'::date as recompute_from, 42::smallint as ctl_days, 7::smallint as atl_days,
        0::float8 as external_load, (array[100, null, 0]::float8[])[offset_days + 1] as internal_load
      from generate_series(0, 2) as offset_days
    ),
    ${PMC_VALUES}
    select internal_ctl, internal_atl, internal_monotony from pmc_values order by day
  `.execute(app.db)
  const ctl = 100 * (1 - Math.exp(-1 / 42))
  t.equal(unknown!.internal_ctl, ctl, 'CTL is carried over the unknown day')
  t.equal(unknown!.internal_atl, 100 * (1 - Math.exp(-1 / 7)), 'so is ATL')
  t.ok(Math.abs(rest!.internal_ctl - ctl * Math.exp(-1 / 42)) < 1e-12, 'and decays on the known rest day after it')
})
