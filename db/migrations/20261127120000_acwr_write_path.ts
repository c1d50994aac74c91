import { sql, type Kysely } from 'kysely'

// Two changes to what a full ACWR recompute pays per row.
//
// The daily loads are read through an index that carries the loads, so the engine's scan of
// an athlete's activities is index-only and in (athlete_id, day) order, instead of one heap
// page per activity: activities arrive day by day for every athlete, so one athlete's rows
// are spread over the whole table. The old (athlete_id, day) index is its prefix and goes.
//
// acwr_daily loses its foreign key to athletes. A foreign key checks every inserted row with
// a query of its own, which cost more than writing the row itself (a recompute of 730k rows
// spent most of its write time there). The table is derived data, written only by the ACWR
// engine for athletes it has just read and locked (FOR NO KEY UPDATE, which also blocks their
// deletion), so the check could never fail. The cascade on delete remains, as one
// statement-level trigger per DELETE on athletes.
export async function up (db: Kysely<any>): Promise<void> {
  await sql`
    create index activities_daily_load on activities (athlete_id, day) include (external_load, trimp);
    drop index activities_athlete_day;

    alter table acwr_daily drop constraint acwr_daily_athlete_id_fkey;

    create function delete_acwr_of_deleted_athletes() returns trigger
      language plpgsql
      as $$ begin
        delete from acwr_daily using deleted_athletes where acwr_daily.athlete_id = deleted_athletes.id;
        return null;
      end $$;

    create trigger acwr_daily_follows_deleted_athletes
      after delete on athletes
      referencing old table as deleted_athletes
      for each statement execute function delete_acwr_of_deleted_athletes();
  `.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await sql`
    drop trigger acwr_daily_follows_deleted_athletes on athletes;
    drop function delete_acwr_of_deleted_athletes();
    alter table acwr_daily add constraint acwr_daily_athlete_id_fkey
      foreign key (athlete_id) references athletes (id) on delete cascade;

    create index activities_athlete_day on activities (athlete_id, day);
    drop index activities_daily_load;
  `.execute(db)
}
