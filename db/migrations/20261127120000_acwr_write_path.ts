import { sql, type Kysely } from 'kysely'

// The daily loads are read through an index that carries the loads, so the ACWR engine's scan
// of an athlete's activities is index-only and in (athlete_id, day) order, instead of one heap
// page per activity: activities arrive day by day for every athlete, so one athlete's rows are
// spread over the whole table. The old (athlete_id, day) index is its prefix and goes.
export async function up (db: Kysely<any>): Promise<void> {
  await sql`
    create index activities_daily_load on activities (athlete_id, day) include (external_load, trimp);
    drop index activities_athlete_day;
  `.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await sql`
    create index activities_athlete_day on activities (athlete_id, day);
    drop index activities_daily_load;
  `.execute(db)
}
