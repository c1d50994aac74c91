import { sql, type Kysely } from 'kysely'

// Activities arrive from three places, and the source decides what a Strava disconnect must
// delete: what Strava lent (`strava`) goes, what the athlete pushed (`api`) or imported from
// their own export (`import`) stays. The UTC start and the IANA zone of the start are kept
// when the source knows them, so the local day can be explained and recomputed.
export async function up (db: Kysely<any>): Promise<void> {
  await sql`
    alter table activities
      add column source text not null default 'api' check (source in ('api', 'strava', 'import')),
      add column start_date timestamptz,
      add column timezone text check (length(timezone) between 1 and 64)
  `.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await sql`alter table activities drop column source, drop column start_date, drop column timezone`.execute(db)
}
