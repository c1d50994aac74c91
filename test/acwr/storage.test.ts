import t from 'tap'
import { sql } from 'kysely'
import { build } from '../helper.ts'
import { createAthlete, daysAgo, ingest, run } from '../fixtures.ts'
import { lockAthletes } from '../../src/db/athletes.ts'
import { recomputeAcwrFrom } from '../../src/acwr/engine.ts'
import type { App } from '../../src/app.ts'

const rowsOf = (app: App, athleteId: number) =>
  app.db.selectFrom('acwr_daily').selectAll().where('athlete_id', '=', athleteId).orderBy('day').execute()

const valuesOf = (rows: Awaited<ReturnType<typeof rowsOf>>) => rows.map(({ computed_at: _, ...values }) => values)

const recompute = (app: App, athleteId: number, day: string | null) =>
  app.db.transaction().execute(async trx => recomputeAcwrFrom(trx, await lockAthletes(trx, [athleteId]), day))

t.test('deleting an athlete deletes their ACWR rows and no one else\'s', async t => {
  const app = await build(t)
  const gone = await createAthlete(app)
  const kept = await createAthlete(app)
  await ingest(app, gone.id, [run(1, daysAgo(4), 10)])
  await ingest(app, kept.id, [run(1, daysAgo(4), 10)])
  await app.db.deleteFrom('athletes').where('id', '=', gone.id).execute()
  t.equal((await rowsOf(app, gone.id)).length, 0)
  t.equal((await rowsOf(app, kept.id)).length, 5)
})

t.test('a recompute writes new days, rewrites only days whose values changed, and leaves the rest untouched', async t => {
  const app = await build(t)
  const { id } = await createAthlete(app)
  const day = (i: number) => daysAgo(39 - i)
  await app.db.insertInto('activities').values(Array.from({ length: 40 }, (_, i) => ({
    athlete_id: id,
    id: i + 1,
    day: day(i),
    start_date_local: `${day(i)}T07:00:00`,
    sport_type: 'Run',
    moving_time_s: 1800,
    external_load: 5 + (i % 7),
    trimp: 40 + i
  }))).execute()
  t.same(await recompute(app, id, null), { days: 40, written: 40 }, 'an empty series is written whole')
  t.same(await recompute(app, id, null), { days: 40, written: 0 }, 'an unchanged series writes nothing')

  const before = await rowsOf(app, id)
  await app.db.updateTable('activities').set({ external_load: 50 }).where('athlete_id', '=', id).where('id', '=', 31).execute()
  const counts = await recompute(app, id, daysAgo(9))
  const after = await rowsOf(app, id)
  t.equal(counts.days, 10, 'from the changed day through today')
  t.ok(counts.written > 0 && counts.written <= 10)
  t.same(after.slice(0, 30), before.slice(0, 30), 'the days before the change keep their values and computed_at')
  t.equal(after[30]!.external_load, 50)

  await sql`delete from acwr_daily where athlete_id = ${id}`.execute(app.db)
  await recompute(app, id, null)
  t.same(valuesOf(await rowsOf(app, id)), valuesOf(after), 'the same values as a computation from scratch')
})

t.test('an activity before the first one extends the series back, and the result equals a computation from scratch', async t => {
  const app = await build(t)
  const { id } = await createAthlete(app)
  await ingest(app, id, [run(1, daysAgo(10), 10), run(2, daysAgo(3), 20)])
  t.equal((await rowsOf(app, id)).length, 11)
  await ingest(app, id, [run(3, daysAgo(30), 40)])
  const extended = await rowsOf(app, id)
  t.equal(extended.length, 31, 'one row per day from the new first activity')
  t.equal(extended[0]!.day, daysAgo(30))

  await sql`delete from acwr_daily where athlete_id = ${id}`.execute(app.db)
  await recompute(app, id, null)
  t.same(valuesOf(await rowsOf(app, id)), valuesOf(extended))
})
