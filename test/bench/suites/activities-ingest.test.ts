import { sql } from 'kysely'
import t from 'tap'
import { copyInto, createStagingTables, emptyTables, profileBatch, upsertRowByRow, upsertRowsOnly } from '../../../bench/suites/activities-ingest.ts'
import { activityHistory } from '../../../bench/suites/api-fixtures.ts'
import { createDatabase } from '../../../src/db/database.ts'
import { createTestDatabase, testConfig } from '../../helper.ts'

const COLUMNS = sql`athlete_id, id, day, start_date_local, name, sport_type, distance_m, elevation_gain_m, moving_time_s,
  average_heartrate, max_heartrate, perceived_effort, external_load, trimp`

t.test('row by row, the batch statement and COPY store the same rows with the same loads', async t => {
  const { db, pool } = createDatabase(await createTestDatabase(t), testConfig(), () => {})
  t.teardown(() => db.destroy())
  await createStagingTables(db)
  const { id: athleteId } = await db.insertInto('athletes').values({ name: 'Bench athlete' }).returning('id').executeTakeFirstOrThrow()
  const activities = [
    ...activityHistory('2026-03-01', 20),
    { id: 1, sportType: 'WeightTraining', startDateLocal: '2026-03-02T06:00:00', movingTimeS: 2700, perceivedEffort: 8, name: 'tab\there, back\\slash' }
  ]
  const stored = async (table: string) =>
    (await sql<Record<string, unknown>>`select ${COLUMNS} from ${sql.table(table)} order by id`.execute(db)).rows

  await upsertRowByRow(db, athleteId, activities)
  const rowByRow = await stored('activities')
  await emptyTables(db)
  await upsertRowsOnly(db, athleteId, activities)
  const batch = await stored('activities')
  await copyInto(pool, 'bare', athleteId, activities)
  const copied = await stored('activities_staging')
  await copyInto(pool, 'keyed', athleteId, activities)
  const copiedKeyed = await stored('activities_keyed')

  t.equal(rowByRow.length, activities.length)
  t.ok(rowByRow.every(row => Number(row.external_load) > 0), 'every activity has an external load')
  t.same(batch, rowByRow, 'the batch statement stores what the row-by-row loop stores')
  t.same(copied, rowByRow, 'COPY stores the same, text with tabs and backslashes included')
  t.same(copiedKeyed, rowByRow, 'COPY into the keyed copy stores the same')
  await emptyTables(db)
  t.same(await stored('activities'), [], 'emptying leaves each side an empty table')
  t.same(await stored('activities_keyed'), [], 'the keyed copy is emptied too')
})

t.test('the keyed copy refuses what activities refuses: an unknown athlete, a duplicate key', async t => {
  const { db, pool } = createDatabase(await createTestDatabase(t), testConfig(), () => {})
  t.teardown(() => db.destroy())
  await createStagingTables(db)
  const { id: athleteId } = await db.insertInto('athletes').values({ name: 'Bench athlete' }).returning('id').executeTakeFirstOrThrow()
  const [activity] = activityHistory('2026-03-01', 3)
  await t.rejects(copyInto(pool, 'keyed', athleteId + 1, [activity!]), /foreign key/)
  await t.rejects(copyInto(pool, 'keyed', athleteId, [activity!, activity!]), /duplicate key/)
  await copyInto(pool, 'bare', athleteId + 1, [activity!, activity!])
})

t.test('the batch profile accounts for the foreign-key check of every row and writes nothing', async t => {
  const { db, pool } = createDatabase(await createTestDatabase(t), testConfig(), () => {})
  t.teardown(() => db.destroy())
  const { id: athleteId } = await db.insertInto('athletes').values({ name: 'Bench athlete' }).returning('id').executeTakeFirstOrThrow()
  const activities = activityHistory('2026-03-01', 30)
  const profile = await profileBatch(pool, db, athleteId, activities)
  t.equal(profile.foreignKeyCalls, activities.length, 'one foreign-key check per inserted row')
  t.ok(profile.executionMs > 0 && profile.unnestMs > 0, 'execution and unnest times are read from the plan')
  t.ok(profile.foreignKeyMs + profile.unnestMs + profile.previousMs <= profile.executionMs, 'the parts fit within the whole')
  const { rows: [left] } = await sql<{ count: number }>`select count(*)::int as count from activities`.execute(db)
  t.equal(left!.count, 0, 'the profiled statement is rolled back')
})
