import { sql, type Kysely } from 'kysely'

// Strava sync. The rate budget is one row for the whole deployment: Strava counts requests
// per application, so every instance takes from the same counters (developers.strava.com,
// rate limits: 15-minute windows at :00/:15/:30/:45, a daily one at midnight UTC). Limits
// start at Strava's defaults for reads (100 / 1,000) and overall (200 / 2,000) and are
// replaced by the X-*RateLimit-Limit headers of each response.
//
// Sync state is one row per athlete: the backfill cursor (a fixed upper bound and the pages
// done below it) survives a killed process, so a backfill resumes where it stopped.
//
// Webhook events are keyed by what Strava repeats on a retry, (object_id, aspect_type,
// event_time), so a retried delivery is recognised and changes nothing.
//
// The job queue itself lives in the `graphile_worker` schema, which graphile-worker
// migrates on its own (see src/strava/jobs.ts).
export async function up (db: Kysely<any>): Promise<void> {
  await sql`
    create table strava_rate_budget (
      id smallint primary key default 1 check (id = 1),
      read_limit_15min integer not null default 100 check (read_limit_15min >= 0),
      read_limit_daily integer not null default 1000 check (read_limit_daily >= 0),
      overall_limit_15min integer not null default 200 check (overall_limit_15min >= 0),
      overall_limit_daily integer not null default 2000 check (overall_limit_daily >= 0),
      read_used_15min integer not null default 0,
      read_used_daily integer not null default 0,
      overall_used_15min integer not null default 0,
      overall_used_daily integer not null default 0,
      window_15min_start timestamptz not null default 'epoch',
      window_day date not null default 'epoch',
      updated_at timestamptz not null default now()
    )
  `.execute(db)
  await sql`insert into strava_rate_budget (id) values (1)`.execute(db)

  await sql`
    create table strava_sync_state (
      athlete_id bigint primary key references athletes (id) on delete cascade,
      state text not null default 'idle'
        check (state in ('idle', 'queued', 'running', 'deferred', 'failed', 'disconnected')),
      backfill_complete boolean not null default false,
      backfill_before timestamptz,
      backfill_pages integer not null default 0 check (backfill_pages >= 0),
      activities_synced integer not null default 0 check (activities_synced >= 0),
      last_synced_at timestamptz,
      next_attempt_at timestamptz,
      last_error text check (length(last_error) <= 500),
      updated_at timestamptz not null default now()
    )
  `.execute(db)
  await sql`create index strava_sync_state_state on strava_sync_state (state)`.execute(db)

  await sql`
    create table strava_webhook_events (
      object_id bigint not null,
      aspect_type text not null check (aspect_type in ('create', 'update', 'delete')),
      event_time bigint not null,
      object_type text not null check (object_type in ('activity', 'athlete')),
      owner_id bigint not null,
      athlete_id bigint references athletes (id) on delete cascade,
      received_at timestamptz not null default now(),
      primary key (object_id, aspect_type, event_time)
    )
  `.execute(db)
  await sql`create index strava_webhook_events_received on strava_webhook_events (received_at)`.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await sql`drop table strava_webhook_events`.execute(db)
  await sql`drop table strava_sync_state`.execute(db)
  await sql`drop table strava_rate_budget`.execute(db)
}
