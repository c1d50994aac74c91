import t from 'tap'
import { build } from '../helper.ts'
import { daysAgo } from '../fixtures.ts'
import { upsertActivities } from '../../src/activities/service.ts'
import { externalLoad, trimp } from '../../src/activities/loads.ts'
import { STRAVA_SPORT_TYPES } from '../../src/activities/sport-rules.ts'
import type { NewActivity } from '../../src/activities/schemas.ts'
import { recalculateAcwr } from '../../src/acwr/recalculate.ts'
import { updateSettings } from '../../src/athletes/service.ts'
import { referenceDivergence, referenceSeries, type ReferenceDay, type ReferenceSettings } from './reference.ts'

/** A small deterministic generator, so a failure can be reproduced. */
function random (seed: number) {
  let state = seed
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648
    return state / 2147483648
  }
}

const MODELS = ['rolling', 'rolling-uncoupled', 'ewma', 'decay'] as const
/** Every named sport, and one the rules do not know. */
const SPORTS = [...STRAVA_SPORT_TYPES, 'UnderwaterHockey']

function randomSettings (next: () => number): ReferenceSettings {
  const acuteDays = 3 + Math.floor(next() * 12)
  return {
    model: MODELS[Math.floor(next() * 4)]!,
    acuteDays,
    chronicDays: Math.max(14, 2 * acuteDays) + Math.floor(next() * 20),
    decayRate: 0.01 + Math.round(next() * 19) / 100
  }
}

/**
 * A history with rest days, zero-load days and doubles, every sport, now and then a break of
 * 30–200 days, and heart rate that goes missing: on single sessions, and for stretches of
 * 3–20 days at a time, as when a strap breaks.
 */
function randomHistory (next: () => number) {
  const historyDays = 20 + Math.floor(next() * 160)
  const activities: NewActivity[] = []
  let breakLeft = 0
  let dropoutLeft = 0
  for (let ago = historyDays - 1; ago >= 0; ago--) {
    if (breakLeft > 0) { breakLeft--; continue }
    if (ago < historyDays - 1 && next() < 0.01) breakLeft = 30 + Math.floor(next() * 170)
    if (dropoutLeft > 0) dropoutLeft--
    else if (next() < 0.04) dropoutLeft = 3 + Math.floor(next() * 18)
    // The first day always has an activity.
    const count = ago === historyDays - 1 ? 1 : [0, 0, 1, 1, 1, 2, 3][Math.floor(next() * 7)]!
    for (let i = 0; i < count; i++) {
      const zero = next() < 0.05
      const withHeartRate = dropoutLeft === 0 && next() < 0.93
      activities.push({
        id: activities.length + 1,
        sportType: SPORTS[Math.floor(next() * SPORTS.length)]!,
        startDateLocal: `${daysAgo(ago)}T${String(6 + i * 5).padStart(2, '0')}:15:00`,
        movingTimeS: zero ? 0 : 600 + Math.floor(next() * 7200),
        ...(next() < 0.9 ? { distanceM: zero ? 0 : Math.round(next() * 30000) } : {}),
        elevationGainM: Math.round(next() * 400),
        ...(next() < 0.3 ? { perceivedEffort: 1 + Math.floor(next() * 10) } : {}),
        ...(withHeartRate ? { averageHeartrate: 100 + Math.round(next() * 80) } : {})
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
    const load = trimp(activity.movingTimeS, activity.averageHeartrate, { sex: null, restingHr: null, maxHr: null })
    internal[day] = load === null || internal[day] === null ? null : internal[day]! + load
  }
  return { external, internal }
}

const near = (actual: number | null, expected: number | null) =>
  actual === expected || (actual !== null && expected !== null && Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)))

type Row = Record<string, unknown>
const matchesLoad = (row: Row, load: 'external' | 'internal', expected: ReferenceDay) =>
  near(row[`${load}_acute`] as number | null, expected.acute) && near(row[`${load}_chronic`] as number | null, expected.chronic) &&
  near(row[`${load}_ratio`] as number | null, expected.ratio)

t.test('the SQL engine matches a plain TypeScript implementation to 1e-9 on 50 random athletes with every sport, missing heart rate, long breaks and window changes', async t => {
  const app = await build(t)
  const next = random(20261127)
  const athletes = Array.from({ length: 50 }, () => ({ initial: randomSettings(next), changed: next() < 0.4 ? randomSettings(next) : null, ...randomHistory(next) }))
  const ids = (await app.db.insertInto('athletes')
    .values(athletes.map(({ initial }) => ({
      acwr_model: initial.model, acute_days: initial.acuteDays, chronic_days: initial.chronicDays, decay_rate: initial.decayRate
    })))
    .returning('id').execute()).map(row => row.id)

  // Older activities first; then, for some athletes, new settings (a full recompute); then the
  // rest with some earlier ones changed, one of them losing its heart rate, which exercises
  // the incremental path: it must match a computation from scratch.
  for (const [index, athlete] of athletes.entries()) {
    const { activities, changed } = athlete
    const split = Math.floor(activities.length * 0.7)
    await upsertActivities(app.db, ids[index]!, activities.slice(0, split))
    if (changed) await updateSettings(app.db, ids[index]!, { acwrModel: changed.model, acuteDays: changed.acuteDays, chronicDays: changed.chronicDays, decayRate: changed.decayRate })
    const revised = activities.slice(Math.floor(split / 2), Math.floor(split / 2) + 3)
      .map((a, i) => ({ ...a, movingTimeS: a.movingTimeS + 300, distanceM: (a.distanceM ?? 0) + 1000, ...(i === 0 ? { averageHeartrate: undefined } : {}) }))
    for (const one of revised) activities[activities.findIndex(a => a.id === one.id)] = one
    await upsertActivities(app.db, ids[index]!, [...activities.slice(split), ...revised])
  }

  const rows = await app.db.selectFrom('acwr_daily').selectAll().orderBy('athlete_id').orderBy('day').execute()
  let compared = 0
  let mismatches = 0
  let unknownDays = 0
  let nullRatios = 0
  for (const [index, { initial, changed, historyDays, activities }] of athletes.entries()) {
    const settings = changed ?? initial
    const loads = dailyLoads(historyDays, activities)
    const external = referenceSeries(loads.external, settings)
    const internal = referenceSeries(loads.internal, settings, 'internal')
    const stored = rows.filter(row => row.athlete_id === ids[index])
    t.equal(stored.length, historyDays, `athlete ${index} (${settings.model}): one row per day`)
    stored.forEach((row, day) => {
      const e = external[day]!
      const i = internal[day]!
      compared++
      if (loads.internal[day] === null) unknownDays++
      if (i.ratio === null && e.ratio !== null) nullRatios++
      const ok = near(row.external_load, loads.external[day]!) && near(row.internal_load, loads.internal[day]!) &&
        matchesLoad(row, 'external', e) && matchesLoad(row, 'internal', i) && near(row.internal_coverage, i.coverage) &&
        near(row.divergence, referenceDivergence(e.ratio, i.ratio)) && row.complete === e.complete
      if (!ok && mismatches++ < 5) t.fail(`athlete ${index} ${JSON.stringify(settings)} day ${day}`, { row, external: e, internal: i, load: loads.internal[day] })
    })
  }
  t.equal(mismatches, 0, `all ${compared} athlete-days match`)
  t.ok(new Set(athletes.map(a => (a.changed ?? a.initial).model)).size === 4, 'every model is covered')
  t.ok(unknownDays > 100 && nullRatios > 100, `unknown internal days (${unknownDays}) and ratios nulled for too little known (${nullRatios}) are covered`)
  const sports = new Set(athletes.flatMap(a => a.activities.map(activity => activity.sportType)))
  t.equal(sports.size, SPORTS.length, 'every sport is covered')

  // Sums taken from another starting day round differently, so the two agree to 1e-9, not bit for bit.
  await recalculateAcwr(app.db, { from: null, batchSize: 10 })
  const recomputed = await app.db.selectFrom('acwr_daily').selectAll().orderBy('athlete_id').orderBy('day').execute()
  const differing = recomputed.filter((row, i) => Object.entries(row).some(([name, value]) =>
    name !== 'computed_at' && (typeof value === 'number' ? !near(value, (rows[i] as Row)[name] as number | null) : value !== (rows[i] as Row)[name])))
  t.equal(recomputed.length, rows.length)
  t.same(differing.slice(0, 3), [], 'a full recompute gives the values the incremental writes stored')
})
