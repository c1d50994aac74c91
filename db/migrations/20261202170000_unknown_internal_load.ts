import { sql, type Kysely } from 'kysely'

// An activity without heart rate has an unknown internal load, stored as a null TRIMP rather
// than 0, and a day with such an activity has an unknown internal load (docs/science.md,
// "Unknown internal load"). The internal means leave unknown days out, so acwr_daily's
// internal load, acute and chronic values may be null (no known day in the window), and each
// day records `internal_coverage`, the share of the chronic window whose internal load is
// known. An activity without moving time keeps its TRIMP of 0: it has no load to be unknown.
//
// Stored series are derived data and every one of them lacks the coverage, so they are
// removed as the performance-management migration did; the next read, roll-forward or
// `trainload acwr recalc` computes each athlete's series again.
export async function up (db: Kysely<any>): Promise<void> {
  await sql`
    alter table activities alter column trimp drop not null;
    update activities set trimp = null, updated_at = now()
    where average_heartrate is null and moving_time_s > 0;

    truncate acwr_daily;
    alter table acwr_daily
      alter column internal_load drop not null,
      alter column internal_acute drop not null,
      alter column internal_chronic drop not null,
      add column internal_coverage double precision not null check (internal_coverage between 0 and 1);
  `.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await sql`
    update activities set trimp = 0, updated_at = now() where trimp is null;
    alter table activities alter column trimp set not null;

    truncate acwr_daily;
    alter table acwr_daily
      drop column internal_coverage,
      alter column internal_load set not null,
      alter column internal_acute set not null,
      alter column internal_chronic set not null;
  `.execute(db)
}
