import { execFile } from 'node:child_process'
import { sql } from 'kysely'
import type { Database } from '../../src/db/database.ts'

/**
 * A digest of acwr_daily without `computed_at` (when a row was written, not what it says):
 * two databases with the same digest hold the same series, value for value.
 */
export async function acwrDigest (db: Database, athleteIds?: number[]): Promise<{ rows: number, digest: string }> {
  const filter = athleteIds ? sql`where athlete_id = any(${athleteIds}::bigint[])` : sql``
  const { rows: [row] } = await sql<{ rows: number, digest: string }>`
    select count(*)::int as rows,
      coalesce(md5(string_agg(concat_ws('|', athlete_id, day, external_load, internal_load, external_acute,
        external_chronic, external_ratio, internal_acute, internal_chronic, internal_ratio, divergence, complete),
        ',' order by athlete_id, day)), '') as digest
    from acwr_daily ${filter}
  `.execute(db)
  return row!
}

/**
 * Deterministic athletes with one activity a day (a rest day every seventh) over the last
 * `days` days, written straight into the tables with no ACWR series yet, as after a bulk
 * import. The four models take turns, so every ACWR statement runs. Two fresh databases
 * seeded alike hold identical rows, athlete ids included.
 */
export async function seedTrainingHistory (db: Database, { athletes, days }: { athletes: number, days: number }): Promise<number[]> {
  const { rows } = await sql<{ id: number }>`
    insert into athletes (strava_athlete_id, name, acwr_model)
    select 7_000_000 + n, 'Fault athlete ' || n, (array['rolling', 'rolling-uncoupled', 'ewma', 'decay'])[1 + n % 4]
    from generate_series(1, ${athletes}::int) as n
    order by n
    returning id
  `.execute(db)
  const ids = rows.map(row => row.id).sort((a, b) => a - b)
  await sql`
    insert into activities (athlete_id, id, day, start_date_local, sport_type, moving_time_s, distance_m, external_load, trimp)
    select athlete.id, back, local.day, local.day + time '07:00', 'Run', 3600, 10000,
      1 + (athlete.id * 31 + back * 17) % 20, (athlete.id * 13 + back * 7) % 90
    from unnest(${ids}::bigint[]) as athlete (id)
      cross join generate_series(1, ${days}::int) as back
      cross join lateral (select ((now() at time zone 'UTC')::date - back + 1) as day) as local
    where (athlete.id + back) % 7 <> 0
  `.execute(db)
  return ids
}

/** Ids of athletes who have an ACWR series, ascending. */
export async function athletesWithSeries (db: Database): Promise<number[]> {
  const rows = await db.selectFrom('athletes').select('id')
    .where(eb => eb.exists(eb.selectFrom('acwr_daily').select('day').whereRef('acwr_daily.athlete_id', '=', 'athletes.id')))
    .orderBy('id').execute()
  return rows.map(row => row.id)
}

/** Runs the trainload CLI to completion in a child process. */
export function runCli (args: string[], env: Record<string, string>): Promise<{ code: number, stdout: string, stderr: string }> {
  return new Promise(resolve => {
    execFile(process.execPath, ['src/cli/bin.js', ...args], { env: { ...process.env, ...env, CI: 'true' } }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr })
    })
  })
}
