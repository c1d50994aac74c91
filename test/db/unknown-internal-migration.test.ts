import { promises as fs } from 'node:fs'
import path from 'node:path'
import { FileMigrationProvider, Kysely, Migrator, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import t from 'tap'
import { createEmptyDatabase } from '../helper.ts'
import { migrationFolder } from '../../src/db/migrations.ts'

t.test('the unknown-heart-rate migration turns the stored TRIMP 0 of activities without heart rate into null and empties the series', async t => {
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: await createEmptyDatabase(t), max: 1 }) }) })
  t.teardown(() => db.destroy())
  const migrator = new Migrator({ db, provider: new FileMigrationProvider({ fs, path, migrationFolder }) })
  const before = await migrator.migrateTo('20261202160000_sport_load_rules')
  t.error(before.error)

  await sql`insert into athletes (id) overriding system value values (1)`.execute(db)
  await sql`
    insert into activities (athlete_id, id, day, start_date_local, sport_type, moving_time_s, average_heartrate, external_load, trimp)
    values (1, 1, '2026-01-01', '2026-01-01 08:00', 'Run', 2700, 150, 6, 75.3),
      (1, 2, '2026-01-02', '2026-01-02 08:00', 'Run', 2700, null, 6, 0),
      (1, 3, '2026-01-03', '2026-01-03 08:00', 'Run', 0, null, 0, 0)
  `.execute(db)
  await sql`
    insert into acwr_daily (athlete_id, day, external_load, internal_load, external_acute, external_chronic, internal_acute,
      internal_chronic, complete, external_ctl, external_atl, external_tsb, internal_ctl, internal_atl, internal_tsb)
    values (1, '2026-01-02', 6, 0, 6, 6, 0, 0, false, 0, 0, 0, 0, 0, 0)
  `.execute(db)

  const after = await migrator.migrateToLatest()
  t.error(after.error)
  const { rows } = await sql<{ id: string, trimp: number | null }>`select id::text, trimp from activities order by id`.execute(db)
  t.same(rows, [{ id: '1', trimp: 75.3 }, { id: '2', trimp: null }, { id: '3', trimp: 0 }],
    'with heart rate kept; without it unknown; without moving time still 0')
  const { rows: [series] } = await sql<{ count: string }>`select count(*)::text from acwr_daily`.execute(db)
  t.equal(series!.count, '0', 'the series counted the missing heart rate as 0, so it is rebuilt')
})
