import t from 'tap'
import { build } from '../helper.ts'
import { daysAgo } from '../fixtures.ts'
import { upsertActivities } from '../../src/activities/service.ts'
import { externalLoad, trimp } from '../../src/activities/loads.ts'
import type { NewActivity } from '../../src/activities/schemas.ts'
import { referenceDivergence, referenceSeries, type ReferenceSettings } from './reference.ts'

/** A small deterministic generator, so a failure can be reproduced. */
function random (seed: number) {
  let state = seed
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648
    return state / 2147483648
  }
}

const MODELS = ['rolling', 'rolling-uncoupled', 'ewma', 'decay'] as const

function randomAthlete (next: () => number) {
  const acuteDays = 3 + Math.floor(next() * 12)
  const chronicDays = Math.max(14, 2 * acuteDays) + Math.floor(next() * 20)
  const settings: ReferenceSettings = {
    model: MODELS[Math.floor(next() * 4)]!,
    acuteDays,
    chronicDays,
    decayRate: 0.01 + Math.round(next() * 19) / 100
  }
  const historyDays = 20 + Math.floor(next() * 100)
  const activities: NewActivity[] = []
  for (let ago = historyDays - 1; ago >= 0; ago--) {
    // The first day always has an activity; later days may be rest days, zero-load days or doubles.
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
  return { settings, historyDays, activities }
}

const near = (actual: number | null, expected: number | null) =>
  actual === expected || (actual !== null && expected !== null && Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)))

t.test('the SQL engine matches a plain TypeScript implementation on 50 random athletes to 1e-9', async t => {
  const app = await build(t)
  const next = random(20261127)
  const athletes = Array.from({ length: 50 }, () => randomAthlete(next))
  const ids = (await app.db.insertInto('athletes')
    .values(athletes.map(({ settings }) => ({
      acwr_model: settings.model, acute_days: settings.acuteDays, chronic_days: settings.chronicDays, decay_rate: settings.decayRate
    })))
    .returning('id').execute()).map(row => row.id)

  // Older activities first, then the rest with some earlier ones changed: the second batch
  // exercises the incremental path, which must match a computation from scratch.
  for (const [index, { activities }] of athletes.entries()) {
    const split = Math.floor(activities.length * 0.7)
    await upsertActivities(app.db, ids[index]!, activities.slice(0, split))
    const revised = activities.slice(Math.floor(split / 2), Math.floor(split / 2) + 3).map(a => ({ ...a, movingTimeS: a.movingTimeS + 300, distanceM: (a.distanceM ?? 0) + 1000 }))
    for (const changed of revised) activities[activities.findIndex(a => a.id === changed.id)] = changed
    await upsertActivities(app.db, ids[index]!, [...activities.slice(split), ...revised])
  }

  const rows = await app.db.selectFrom('acwr_daily').selectAll().orderBy('athlete_id').orderBy('day').execute()
  let compared = 0
  let mismatches = 0
  for (const [index, { settings, historyDays, activities }] of athletes.entries()) {
    const external = Array<number>(historyDays).fill(0)
    const internal = Array<number>(historyDays).fill(0)
    for (const activity of activities) {
      const day = historyDays - 1 - Math.round((Date.parse(daysAgo(0)) - Date.parse(activity.startDateLocal.slice(0, 10))) / 86_400_000)
      external[day]! += externalLoad(activity)
      internal[day]! += trimp(activity.movingTimeS, activity.averageHeartrate, { sex: null, restingHr: null, maxHr: null })
    }
    const expectedExternal = referenceSeries(external, settings)
    const expectedInternal = referenceSeries(internal, settings)
    const stored = rows.filter(row => row.athlete_id === ids[index])
    t.equal(stored.length, historyDays, `athlete ${index} (${settings.model}): one row per day`)
    stored.forEach((row, day) => {
      const e = expectedExternal[day]!
      const i = expectedInternal[day]!
      compared++
      const ok = near(row.external_load, external[day]!) && near(row.internal_load, internal[day]!) &&
        near(row.external_acute, e.acute) && near(row.external_chronic, e.chronic) && near(row.external_ratio, e.ratio) &&
        near(row.internal_acute, i.acute) && near(row.internal_chronic, i.chronic) && near(row.internal_ratio, i.ratio) &&
        near(row.divergence, referenceDivergence(e.ratio, i.ratio)) && row.complete === e.complete
      if (!ok && mismatches++ < 5) t.fail(`athlete ${index} ${JSON.stringify(settings)} day ${day}`, { row, expectedExternal: e, expectedInternal: i })
    })
  }
  t.equal(mismatches, 0, `all ${compared} athlete-days match`)
  t.ok(new Set(athletes.map(a => a.settings.model)).size === 4, 'every model is covered')
})
