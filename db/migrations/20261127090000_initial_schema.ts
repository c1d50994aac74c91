import { sql, type Kysely } from 'kysely'

// Every table leads with athlete_id so that the schema can later be distributed by athlete.
// The CHECKs mirror the bounds in the HTTP contract: the database refuses what the API refuses.
export async function up (db: Kysely<any>): Promise<void> {
  await sql`
    create table athletes (
      id bigint generated always as identity primary key,
      strava_athlete_id bigint unique check (strava_athlete_id > 0),
      name text check (length(name) <= 200),
      sex text check (sex in ('M', 'F')),
      resting_hr smallint check (resting_hr between 20 and 120),
      max_hr smallint check (max_hr between 100 and 250),
      timezone text not null default 'UTC' check (length(timezone) between 1 and 64),
      acwr_model text not null default 'rolling'
        check (acwr_model in ('rolling', 'rolling-uncoupled', 'ewma', 'decay')),
      acute_days smallint not null default 7 check (acute_days between 3 and 14),
      chronic_days smallint not null default 28 check (chronic_days between 14 and 90),
      decay_rate double precision not null default 0.05 check (decay_rate between 0.01 and 0.20),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      check (chronic_days >= 2 * acute_days),
      check (resting_hr < max_hr)
    );

    create table activities (
      athlete_id bigint not null references athletes (id) on delete cascade,
      id bigint not null check (id > 0),
      day date not null,
      start_date_local timestamp not null,
      name text check (length(name) <= 500),
      sport_type text not null check (length(sport_type) between 1 and 64),
      distance_m double precision check (distance_m >= 0),
      elevation_gain_m double precision check (elevation_gain_m >= 0),
      moving_time_s integer not null check (moving_time_s >= 0),
      average_heartrate double precision check (average_heartrate between 20 and 250),
      max_heartrate double precision check (max_heartrate between 20 and 250),
      perceived_effort smallint check (perceived_effort between 1 and 10),
      external_load double precision not null check (external_load >= 0),
      trimp double precision not null check (trimp >= 0),
      updated_at timestamptz not null default now(),
      primary key (athlete_id, id),
      check (day = start_date_local::date)
    );
    create index activities_athlete_day on activities (athlete_id, day);

    create table acwr_daily (
      athlete_id bigint not null references athletes (id) on delete cascade,
      day date not null,
      external_load double precision not null,
      internal_load double precision not null,
      external_acute double precision not null,
      external_chronic double precision not null,
      external_ratio double precision,
      internal_acute double precision not null,
      internal_chronic double precision not null,
      internal_ratio double precision,
      divergence double precision,
      complete boolean not null,
      computed_at timestamptz not null default now(),
      primary key (athlete_id, day)
    );

    -- Tokens are stored as "v1.<key id>.<iv>.<auth tag>.<ciphertext>" (base64url, AES-256-GCM);
    -- the pattern makes a plaintext token impossible to store by mistake.
    create table strava_tokens (
      athlete_id bigint primary key references athletes (id) on delete cascade,
      access_token text not null check (access_token ~ '^v1\.[A-Za-z0-9_-]{1,32}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$'),
      refresh_token text not null check (refresh_token ~ '^v1\.[A-Za-z0-9_-]{1,32}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$'),
      expires_at timestamptz not null,
      scope text,
      status text not null default 'active' check (status in ('active', 'invalid')),
      refresh_claimed_until timestamptz,
      last_refreshed_at timestamptz,
      failure_count integer not null default 0 check (failure_count >= 0),
      last_error text check (length(last_error) <= 500),
      invalid_since timestamptz,
      updated_at timestamptz not null default now(),
      check ((status = 'invalid') = (invalid_since is not null))
    );
    create index strava_tokens_due on strava_tokens (expires_at) where status = 'active';

    create table token_events (
      athlete_id bigint not null references athletes (id) on delete cascade,
      id bigint generated always as identity,
      event text not null
        check (event in ('saved', 'refreshed', 'refresh_failed', 'invalidated', 'deleted', 're_encrypted')),
      detail text check (length(detail) <= 500),
      created_at timestamptz not null default now(),
      primary key (athlete_id, id)
    );

    -- Only the SHA-256 of a key is kept; the prefix lets people tell their keys apart.
    create table api_keys (
      athlete_id bigint not null references athletes (id) on delete cascade,
      id bigint generated always as identity,
      key_hash bytea not null unique check (octet_length(key_hash) = 32),
      prefix text not null check (length(prefix) between 4 and 16),
      created_at timestamptz not null default now(),
      revoked_at timestamptz,
      last_used_at timestamptz,
      primary key (athlete_id, id)
    );
  `.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await sql`drop table api_keys, token_events, strava_tokens, acwr_daily, activities, athletes`.execute(db)
}
