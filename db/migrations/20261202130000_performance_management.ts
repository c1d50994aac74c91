import { sql, type Kysely } from 'kysely'

// The performance management chart (CTL, ATL, TSB, ramp rate, Foster monotony and strain,
// docs/science.md) is stored beside the ACWR values of the same athlete-day, as columns of
// acwr_daily: the same statement computes and writes both, and one wider row costs less to
// write than a second row in a table of its own. Measured on 730,000 athlete-days (1,000
// athletes × 730 days, 3 rounds on a shared 2-core machine), inserting the rows with the
// twelve extra columns took 1.05–1.39× the time of the narrow rows; the narrow rows plus a
// second table with its own key and foreign key to athletes took 1.9–2.3×.
//
// Stored rows are derived data, rebuilt from the activities: existing ones have no PMC
// values, so they are removed, and the next read, roll-forward or `trainload acwr recalc`
// computes each athlete's series again, PMC included.
export async function up (db: Kysely<any>): Promise<void> {
  await sql`
    alter table athletes
      add column ctl_days smallint not null default 42 check (ctl_days between 7 and 120),
      add column atl_days smallint not null default 7 check (atl_days between 2 and 28),
      add check (atl_days < ctl_days);

    truncate acwr_daily;

    alter table acwr_daily
      add column external_ctl double precision not null,
      add column external_atl double precision not null,
      add column external_tsb double precision not null,
      add column external_ramp_rate double precision,
      add column external_monotony double precision,
      add column external_strain double precision,
      add column internal_ctl double precision not null,
      add column internal_atl double precision not null,
      add column internal_tsb double precision not null,
      add column internal_ramp_rate double precision,
      add column internal_monotony double precision,
      add column internal_strain double precision;
  `.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await sql`
    alter table acwr_daily
      drop column external_ctl, drop column external_atl, drop column external_tsb,
      drop column external_ramp_rate, drop column external_monotony, drop column external_strain,
      drop column internal_ctl, drop column internal_atl, drop column internal_tsb,
      drop column internal_ramp_rate, drop column internal_monotony, drop column internal_strain;
    alter table athletes drop column ctl_days, drop column atl_days;
  `.execute(db)
}
