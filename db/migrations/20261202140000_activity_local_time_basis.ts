import { sql, type Kysely } from 'kysely'

// An activity's day is the date of its local start time, and where that local time came from
// decides how far it can be trusted: the client that pushed it (`client`), Strava's own
// start_date_local (`strava`), the zone of the first position in the activity's recorded file
// (`file`), or, for an export row without a usable file, the athlete's timezone setting
// applied to the UTC start (`athlete-timezone`). Rows written before this column existed keep
// null: nobody recorded it then.
export async function up (db: Kysely<any>): Promise<void> {
  await sql`
    alter table activities
      add column local_time_basis text check (local_time_basis in ('client', 'strava', 'file', 'athlete-timezone'))
  `.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await sql`alter table activities drop column local_time_basis`.execute(db)
}
