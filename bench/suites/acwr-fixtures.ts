import { sql } from 'kysely'
import type { Database } from '../../src/db/database.ts'
import { PMC_COLUMNS } from '../../src/acwr/pmc.ts'

/** Athletes per fleet statement: each stays well inside the default statement timeout. */
const FLEET_CHUNK = 100

/**
 * A fleet of athletes with `days` days of history through today, written with set-based SQL.
 * Each day has a first session with probability 0.7 and, independently, a second with 0.1:
 * about 0.8 activities a day, 7% doubles and 27% rest days. Runs with heart rate, loads by
 * the run formula and TRIMP with the default resting and maximum heart rate. The
 * draws hash (athlete, day), so a fleet is the same on every run. Activities are written day
 * after day for all athletes, as they arrive in production, so one athlete's rows are spread
 * over the whole table. Every athlete uses the default model, settings and timezone.
 */
export async function buildFleet (db: Database, athletes: number, days: number, onChunk?: (done: number) => void): Promise<number[]> {
  const { rows } = await sql<{ id: number }>`
    insert into athletes (strava_athlete_id, name)
    select 700000000 + n, 'Bench athlete ' || n from generate_series(1, ${athletes}::int) n
    returning id
  `.execute(db)
  const ids = rows.map(row => row.id).sort((a, b) => a - b)
  for (let start = 0; start < ids.length; start += FLEET_CHUNK) {
    await insertHistory(db, ids.slice(start, start + FLEET_CHUNK), days)
    onChunk?.(Math.min(start + FLEET_CHUNK, ids.length))
  }
  // What autovacuum would do after a bulk load: planner statistics and the visibility map
  // that index-only scans rely on.
  await sql`vacuum analyze athletes, activities`.execute(db)
  return ids
}

async function insertHistory (db: Database, athleteIds: number[], days: number): Promise<void> {
  await sql`
    insert into activities (athlete_id, id, day, start_date_local, name, sport_type, distance_m, elevation_gain_m,
      moving_time_s, average_heartrate, max_heartrate, external_load, trimp)
    select athlete_id, offset_days * 2 + session + 1, day, day + make_interval(hours => 7 + 11 * session),
      'Bench run', 'Run', distance_m, elevation_m, moving_s, heart_rate, heart_rate + 15,
      round((distance_m * 0.000621371 + elevation_m * 3.28084 / 750)::numeric, 2)::float8,
      moving_s / 60.0 * hrr * 0.64 * exp(1.92 * hrr)
    from generate_series(0, ${days}::int - 1) offset_days
    cross join unnest(${athleteIds}::bigint[]) athlete_id
    cross join generate_series(0, 1) session
    cross join lateral (select (now() at time zone 'UTC')::date - ${days}::int + 1 + offset_days as day,
      (hashint8extended(athlete_id * 100000 + offset_days, session) & 1023) / 1024.0 as draw,
      (hashint8extended(athlete_id * 100000 + offset_days, 7) & 1023) / 1024.0 as size) drawn
    cross join lateral (select 4000 + size * 16000 as distance_m, size * 300 as elevation_m,
      (1200 + size * 4800)::int as moving_s, 120 + size * 50 as heart_rate) measures
    cross join lateral (select least(1, greatest(0, (heart_rate - 44) / (178 - 44.0)))::float8 as hrr) reserve
    where draw < case session when 0 then 0.7 else 0.1 end
    order by offset_days, athlete_id, session
  `.execute(db)
}

/**
 * Empty copies of acwr_daily (columns, defaults, primary key) for the floors and the loop; the
 * second floor also has the foreign key to athletes that acwr_daily once had, to show what it
 * cost. The floor copies whole rows, PMC columns included, as the engine writes them. The loop stands
 * for the system that computed ACWR alone, so its copy has no PMC columns and no internal
 * coverage (that system counted a missing heart rate as 0; the bench fleet always has one).
 */
export async function createAcwrCopies (db: Database): Promise<void> {
  await sql`
    create table bench_acwr_floor (like acwr_daily including all);
    create table bench_acwr_floor_keyed (like acwr_daily including all);
    alter table bench_acwr_floor_keyed add foreign key (athlete_id) references athletes (id) on delete cascade;
    create table bench_acwr_loop (like acwr_daily including all)
  `.execute(db)
  await sql`alter table bench_acwr_loop ${sql.join([...PMC_COLUMNS, 'internal_coverage'].map(name => sql`drop column ${sql.ref(name)}`))}`.execute(db)
}

interface WindowLoads { external: number, internal: number }

const addDay = (day: string, days: number) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10)

const ratioOf = (acute: number, chronic: number) => chronic === 0 ? null : acute / chronic

function divergenceOf (external: number | null, internal: number | null): number | null {
  if (external === null || internal === null) return null
  return external + internal === 0 ? 0 : (external - internal) / ((external + internal) / 2)
}

/** Load sums of one athlete's activities from `from` to `to`: one query. */
async function loadsBetween (db: Database, athleteId: number, from: string, to: string): Promise<WindowLoads> {
  const { rows: [loads] } = await sql<WindowLoads>`
    select coalesce(sum(external_load), 0)::float8 as external, coalesce(sum(trimp), 0)::float8 as internal
    from activities where athlete_id = ${athleteId} and day between ${from}::date and ${to}::date
  `.execute(db)
  return loads!
}

/**
 * One day as the system trainload replaces computed it: five queries per athlete and date
 * (the day's loads, the acute window, the chronic window, whether a row exists, then insert
 * or update), each its own round trip and transaction. The rolling model, as in the engine.
 */
async function computeDayWithQueries (db: Database, athleteId: number, day: string, daysAvailable: number, settings: { acute_days: number, chronic_days: number }): Promise<void> {
  const daily = await loadsBetween(db, athleteId, day, day)
  const acuteSums = await loadsBetween(db, athleteId, addDay(day, 1 - settings.acute_days), day)
  const chronicSums = await loadsBetween(db, athleteId, addDay(day, 1 - settings.chronic_days), day)
  const mean = (sum: number, window: number) => sum / Math.min(daysAvailable, window)
  const external = { acute: mean(acuteSums.external, settings.acute_days), chronic: mean(chronicSums.external, settings.chronic_days) }
  const internal = { acute: mean(acuteSums.internal, settings.acute_days), chronic: mean(chronicSums.internal, settings.chronic_days) }
  const externalRatio = ratioOf(external.acute, external.chronic)
  const internalRatio = ratioOf(internal.acute, internal.chronic)
  const values = [daily.external, daily.internal, external.acute, external.chronic, externalRatio,
    internal.acute, internal.chronic, internalRatio, divergenceOf(externalRatio, internalRatio), daysAvailable >= settings.chronic_days] as const
  const existing = await sql`select 1 from bench_acwr_loop where athlete_id = ${athleteId} and day = ${day}::date`.execute(db)
  if (existing.rows.length > 0) {
    await sql`
      update bench_acwr_loop set (external_load, internal_load, external_acute, external_chronic, external_ratio,
        internal_acute, internal_chronic, internal_ratio, divergence, complete, computed_at) = (${sql.join(values)}, now())
      where athlete_id = ${athleteId} and day = ${day}::date
    `.execute(db)
  } else {
    await sql`
      insert into bench_acwr_loop (athlete_id, day, external_load, internal_load, external_acute, external_chronic,
        external_ratio, internal_acute, internal_chronic, internal_ratio, divergence, complete)
      values (${athleteId}, ${day}::date, ${sql.join(values)})
    `.execute(db)
  }
}

/** The old per-athlete, per-date loop over the athletes' whole histories; returns the athlete-days computed. */
export async function recomputeWithLoop (db: Database, athleteIds: number[]): Promise<number> {
  let athleteDays = 0
  for (const athleteId of athleteIds) {
    const { rows: [athlete] } = await sql<{ acute_days: number, chronic_days: number, first_day: string, today: string }>`
      select acute_days, chronic_days, (now() at time zone timezone)::date::text as today,
        (select min(day) from activities where athlete_id = athletes.id)::text as first_day
      from athletes where id = ${athleteId}
    `.execute(db)
    let daysAvailable = 1
    for (let day = athlete!.first_day; day <= athlete!.today; day = addDay(day, 1)) {
      await computeDayWithQueries(db, athleteId, day, daysAvailable++, athlete!)
      athleteDays++
    }
  }
  return athleteDays
}

/** Rows where the loop's values differ from the engine's by more than 1e-9, relative. */
export async function compareLoopWithEngine (db: Database): Promise<{ compared: number, differing: number }> {
  const differs = (name: string) => sql`abs(coalesce(by_loop.${sql.ref(name)}, 0) - coalesce(by_engine.${sql.ref(name)}, 0))
    > 1e-9 * greatest(1, abs(coalesce(by_engine.${sql.ref(name)}, 0))) or (by_loop.${sql.ref(name)} is null) <> (by_engine.${sql.ref(name)} is null)`
  const columns = ['external_load', 'internal_load', 'external_acute', 'external_chronic', 'external_ratio',
    'internal_acute', 'internal_chronic', 'internal_ratio', 'divergence']
  const { rows: [result] } = await sql<{ compared: number, differing: number }>`
    select count(*)::int as compared,
      count(*) filter (where ${sql.join(columns.map(differs), sql` or `)} or by_loop.complete <> by_engine.complete)::int as differing
    from bench_acwr_loop by_loop
    full join acwr_daily by_engine on by_engine.athlete_id = by_loop.athlete_id and by_engine.day = by_loop.day
    where by_loop.athlete_id is not null or by_engine.athlete_id in (select athlete_id from bench_acwr_loop)
  `.execute(db)
  return result!
}
