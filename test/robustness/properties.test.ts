import fc from 'fast-check'
import t from 'tap'
import { deleteActivity, upsertActivities } from '../../src/activities/service.ts'
import type { NewActivity } from '../../src/activities/schemas.ts'
import { ACWR_MODELS, type AcwrModel } from '../../src/acwr/models.ts'
import type { Database } from '../../src/db/database.ts'
import { daysAgo } from '../fixtures.ts'
import { build } from '../helper.ts'

// Each run works on athletes of its own, so runs share one database without resetting it.
// Run counts are bounded to keep the file well under a minute on a shared machine.
const NUM_RUNS = 40
/** A failing property shrinks its counterexample; this bounds how long that may take. */
const RUN_OPTIONS = { numRuns: NUM_RUNS, interruptAfterTimeLimit: 30_000, markInterruptAsFailure: true }

const activity = (id: number) => fc.record({
  id: fc.constant(id),
  sportType: fc.constantFrom('Run', 'Ride', 'Swim', 'Walk', 'WeightTraining'),
  startDateLocal: fc.tuple(fc.integer({ min: 0, max: 70 }), fc.integer({ min: 5, max: 20 }))
    .map(([ago, hour]) => `${daysAgo(ago)}T${String(hour).padStart(2, '0')}:15:00`),
  movingTimeS: fc.integer({ min: 0, max: 6 * 3600 }),
  distanceM: fc.option(fc.double({ min: 0, max: 150_000, noNaN: true }), { nil: undefined }),
  elevationGainM: fc.option(fc.double({ min: 0, max: 2_000, noNaN: true }), { nil: undefined }),
  averageHeartrate: fc.option(fc.double({ min: 80, max: 190, noNaN: true }), { nil: undefined }),
  perceivedEffort: fc.option(fc.integer({ min: 1, max: 10 }), { nil: undefined })
}, { requiredKeys: ['id', 'sportType', 'startDateLocal', 'movingTimeS'] })

/** A history of 1 to 25 activities with distinct ids, in no particular order. */
const history = fc.uniqueArray(fc.integer({ min: 1, max: 2 ** 40 }), { minLength: 1, maxLength: 25 })
  .chain(ids => fc.tuple(...ids.map(activity)))
  .map(items => items as NewActivity[])

const model = fc.constantFrom<AcwrModel>(...ACWR_MODELS)

async function newAthlete (db: Database, acwrModel: AcwrModel): Promise<number> {
  const { id } = await db.insertInto('athletes').values({ acwr_model: acwrModel, resting_hr: 50, max_hr: 190 }).returning('id').executeTakeFirstOrThrow()
  return id
}

async function activityRows (db: Database, athleteId: number) {
  return db.selectFrom('activities').selectAll().where('athlete_id', '=', athleteId).orderBy('id').execute()
}

async function acwrRows (db: Database, athleteId: number) {
  const rows = await db.selectFrom('acwr_daily').selectAll().where('athlete_id', '=', athleteId).orderBy('day').execute()
  return rows.map(({ athlete_id: _athlete, computed_at: _computed, ...values }) => values)
}

type AcwrValues = Awaited<ReturnType<typeof acwrRows>>[number]

/** Field-by-field comparison, each number within `tolerance(column)` of the other relative to its size (at least 1), naming the first difference. */
function firstDifference (left: AcwrValues[], right: AcwrValues[], tolerance: (column: string) => number): string | undefined {
  if (left.length !== right.length) return `${left.length} days against ${right.length}`
  for (const [index, row] of left.entries()) {
    for (const [key, value] of Object.entries(row)) {
      const other = (right[index] as Record<string, unknown>)[key]
      const close = typeof value === 'number' && typeof other === 'number' ? Math.abs(value - other) <= tolerance(key) * Math.max(1, Math.abs(value), Math.abs(other)) : value === other
      if (!close) return `${row.day} ${key}: ${value} against ${other}`
    }
  }
  return undefined
}

/**
 * Daily loads are sums in a fixed order, so they come back bit for bit. Window means are
 * differences of running totals that start where a recompute starts, so a recompute from
 * another day may differ in the last bits, relatively more where a ratio divides by a small
 * chronic load; 1e-9 of the value is far below any figure shown.
 */
const RESTORED_WITHIN = (column: string) => column.endsWith('_load') ? 0 : 1e-9

const app = await build(t)
const db = app.db

t.test('any valid batch upserted twice leaves the same activities and acwr_daily as upserting it once', async t => {
  await fc.assert(fc.asyncProperty(history, model, async (items, acwrModel) => {
    const athleteId = await newAthlete(db, acwrModel)
    await upsertActivities(db, athleteId, items)
    const once = { activities: await activityRows(db, athleteId), acwr: await acwrRows(db, athleteId) }
    const again = await upsertActivities(db, athleteId, items)
    t.same({ activities: await activityRows(db, athleteId), acwr: await acwrRows(db, athleteId) }, once)
    return again.upserted === 0 && again.recomputedFrom === null
  }), RUN_OPTIONS)
})

t.test('a history ingested in random chunks, in any order, gives the acwr_daily of one batch', async t => {
  const chunked = history.chain(items => fc.tuple(
    fc.constant(items),
    fc.shuffledSubarray(items.map((_, index) => index), { minLength: items.length, maxLength: items.length }),
    fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, items.length - 1) }), { maxLength: 5 })
  ))
  await fc.assert(fc.asyncProperty(chunked, model, async ([items, order, cuts], acwrModel) => {
    const [whole, pieces] = [await newAthlete(db, acwrModel), await newAthlete(db, acwrModel)]
    await upsertActivities(db, whole, items)
    const shuffled = order.map(index => items[index]!)
    const bounds = [0, ...[...cuts].sort((a, b) => a - b), shuffled.length]
    for (let i = 0; i < bounds.length - 1; i++) await upsertActivities(db, pieces, shuffled.slice(bounds[i], bounds[i + 1]))
    const difference = firstDifference(await acwrRows(db, pieces), await acwrRows(db, whole), () => 1e-9)
    t.equal(difference, undefined, `${bounds.length - 1} chunks`)
    return difference === undefined
  }), RUN_OPTIONS)
})

t.test('deleting an activity and adding it back restores the prior acwr_daily: loads exactly, window values within 1e-9', async t => {
  const withVictim = history.chain(items => fc.tuple(fc.constant(items), fc.nat({ max: items.length - 1 })))
  await fc.assert(fc.asyncProperty(withVictim, model, async ([items, victim], acwrModel) => {
    const athleteId = await newAthlete(db, acwrModel)
    await upsertActivities(db, athleteId, items)
    const before = await acwrRows(db, athleteId)
    await deleteActivity(db, athleteId, items[victim]!.id)
    await upsertActivities(db, athleteId, [items[victim]!])
    const difference = firstDifference(await acwrRows(db, athleteId), before, RESTORED_WITHIN)
    t.equal(difference, undefined)
    return difference === undefined
  }), RUN_OPTIONS)
})
