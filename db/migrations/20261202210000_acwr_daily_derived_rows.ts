import { sql, type Kysely } from 'kysely'

// acwr_daily holds derived rows, rebuilt from activities by one statement per batch of
// athletes. Its foreign key to athletes checked every inserted row with a trigger of its own:
// measured on 72,960 rows (100 athletes × 730 days), the recompute statement took 2.19 s with
// the key and 1.47 s without it, and a plain INSERT … SELECT of the same rows 3.6 times as
// long with it (docs/performance.md). The key guarded nothing the engine does not: every
// write locks the athlete's row first (FOR NO KEY UPDATE), which a concurrent delete of the
// athlete waits for. What the key also did, removing an athlete's rows when the athlete is
// deleted, is now a statement-level trigger on athletes, run once per DELETE statement
// rather than once per derived row.
export async function up (db: Kysely<any>): Promise<void> {
  await sql`
    alter table acwr_daily drop constraint acwr_daily_athlete_id_fkey;

    create function delete_derived_rows_of_deleted_athletes() returns trigger
      language plpgsql as $$
      begin
        delete from acwr_daily where athlete_id in (select id from deleted_athletes);
        return null;
      end $$;

    create trigger athletes_delete_derived_rows
      after delete on athletes
      referencing old table as deleted_athletes
      for each statement execute function delete_derived_rows_of_deleted_athletes();
  `.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await sql`
    drop trigger athletes_delete_derived_rows on athletes;
    drop function delete_derived_rows_of_deleted_athletes();
    delete from acwr_daily where not exists (select 1 from athletes where athletes.id = acwr_daily.athlete_id);
    alter table acwr_daily add constraint acwr_daily_athlete_id_fkey
      foreign key (athlete_id) references athletes (id) on delete cascade;
  `.execute(db)
}
