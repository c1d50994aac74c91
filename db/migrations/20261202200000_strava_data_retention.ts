import { sql, type Kysely } from 'kysely'

// Strava data retention (STRAVA_DATA_RETENTION_DAYS, src/strava/retention.ts). Strava's terms
// bound how long an application keeps the data Strava lends it, so the raw fields of old
// Strava-sourced activities are dropped while their day, sport and computed loads stay, and
// with them every ACWR and PMC series. Moving time is one of those raw fields, so it becomes
// nullable; a null moving time marks an activity whose raw fields are gone.
//
// The partial index holds only the Strava activities that still carry their raw fields, so a
// retention run finds the expired ones by day without reading the rest of the table, and
// an activity leaves the index once its fields are dropped.
export async function up (db: Kysely<any>): Promise<void> {
  await sql`alter table activities alter column moving_time_s drop not null`.execute(db)
  await sql`
    create index activities_strava_raw_day on activities (day)
    where source = 'strava' and moving_time_s is not null
  `.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await sql`drop index activities_strava_raw_day`.execute(db)
  // The dropped moving times are gone; 0 is the only value the old constraint can take for them.
  await sql`update activities set moving_time_s = 0 where moving_time_s is null`.execute(db)
  await sql`alter table activities alter column moving_time_s set not null`.execute(db)
}
