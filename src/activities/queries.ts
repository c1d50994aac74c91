import { sql } from 'kysely'
import type { Database } from '../db/database.ts'
import type { ActivitySource, ActivityView, NewActivity } from './schemas.ts'

export interface ActivityRow extends NewActivity {
  externalLoad: number
  trimp: number
}

/**
 * One statement for the whole batch: the rows travel as one array per column and are
 * unnested, so the parameter count does not grow with the batch. Rows whose values did not
 * change are not rewritten. Returns how many were written, and the earliest day they touched:
 * an updated activity touches both its old and its new day.
 */
export async function upsertActivityRows (trx: Database, athleteId: number, rows: ActivityRow[], source: ActivitySource): Promise<{ upserted: number, earliestDay: string | null }> {
  const column = <K extends keyof ActivityRow>(key: K) => rows.map(row => row[key] ?? null)
  const ids = column('id')
  const { rows: [result] } = await sql<{ upserted: number, earliest_day: string | null }>`
    with previous as (
      select id, day from activities where athlete_id = ${athleteId} and id = any(${ids}::bigint[])
    ),
    written as (
      insert into activities as stored (athlete_id, id, day, start_date_local, name, sport_type, distance_m,
        elevation_gain_m, moving_time_s, average_heartrate, max_heartrate, perceived_effort, external_load, trimp, source)
      select ${athleteId}, given.id, given.start_date_local::date, given.start_date_local, given.name, given.sport_type,
        given.distance_m, given.elevation_gain_m, given.moving_time_s, given.average_heartrate, given.max_heartrate,
        given.perceived_effort, given.external_load, given.trimp, ${source}
      from unnest(${ids}::bigint[], ${column('startDateLocal').map(stripZone)}::timestamp[], ${column('name')}::text[],
          ${column('sportType')}::text[], ${column('distanceM')}::float8[], ${column('elevationGainM')}::float8[],
          ${column('movingTimeS')}::int[], ${column('averageHeartrate')}::float8[], ${column('maxHeartrate')}::float8[],
          ${column('perceivedEffort')}::smallint[], ${column('externalLoad')}::float8[], ${column('trimp')}::float8[])
        as given (id, start_date_local, name, sport_type, distance_m, elevation_gain_m, moving_time_s,
          average_heartrate, max_heartrate, perceived_effort, external_load, trimp)
      on conflict (athlete_id, id) do update
        set (day, start_date_local, name, sport_type, distance_m, elevation_gain_m, moving_time_s,
            average_heartrate, max_heartrate, perceived_effort, external_load, trimp, source, updated_at)
          = (excluded.day, excluded.start_date_local, excluded.name, excluded.sport_type, excluded.distance_m,
            excluded.elevation_gain_m, excluded.moving_time_s, excluded.average_heartrate, excluded.max_heartrate,
            excluded.perceived_effort, excluded.external_load, excluded.trimp, excluded.source, now())
        where (stored.start_date_local, stored.name, stored.sport_type, stored.distance_m, stored.elevation_gain_m,
            stored.moving_time_s, stored.average_heartrate, stored.max_heartrate, stored.perceived_effort,
            stored.external_load, stored.trimp, stored.source)
          is distinct from (excluded.start_date_local, excluded.name, excluded.sport_type, excluded.distance_m,
            excluded.elevation_gain_m, excluded.moving_time_s, excluded.average_heartrate, excluded.max_heartrate,
            excluded.perceived_effort, excluded.external_load, excluded.trimp, excluded.source)
      returning id, day
    )
    select count(*)::int as upserted, least(min(written.day), min(previous.day)) as earliest_day
    from written left join previous on previous.id = written.id
  `.execute(trx)
  return { upserted: result!.upserted, earliestDay: result!.earliest_day }
}

/** The wall-clock time as PostgreSQL's `timestamp` reads it: Strava's trailing Z means nothing here. */
function stripZone (startDateLocal: string | null): string | null {
  return startDateLocal?.replace(/Z$/, '') ?? null
}

/** Deletes one activity and returns its day, or undefined when there was none. */
export async function deleteActivityRow (trx: Database, athleteId: number, activityId: number): Promise<string | undefined> {
  const row = await trx.deleteFrom('activities')
    .where('athlete_id', '=', athleteId).where('id', '=', activityId)
    .returning('day')
    .executeTakeFirst()
  return row?.day
}

export interface ActivityPageQuery {
  from?: string
  to?: string
  limit: number
  after?: { startDateLocal: string, id: number }
}

/** Newest first, keyset-paginated on (start_date_local, id). Fetches one extra row to tell whether a next page exists. */
export async function listActivityRows (db: Database, athleteId: number, { from, to, limit, after }: ActivityPageQuery): Promise<ActivityView[]> {
  const rows = await db.selectFrom('activities')
    .select([
      'id', 'sport_type', 'start_date_local', 'day', 'moving_time_s', 'distance_m', 'elevation_gain_m',
      'average_heartrate', 'max_heartrate', 'perceived_effort', 'name', 'external_load', 'trimp', 'source'
    ])
    .where('athlete_id', '=', athleteId)
    .$if(from !== undefined, qb => qb.where('day', '>=', from!))
    .$if(to !== undefined, qb => qb.where('day', '<=', to!))
    .$if(after !== undefined, qb => qb.where(eb =>
      eb(eb.refTuple('start_date_local', 'id'), '<', eb.tuple(after!.startDateLocal, after!.id))))
    .orderBy('start_date_local', 'desc').orderBy('id', 'desc')
    .limit(limit + 1)
    .execute()
  return rows.map(row => ({
    id: row.id,
    sportType: row.sport_type,
    startDateLocal: row.start_date_local.replace(' ', 'T'),
    day: row.day,
    movingTimeS: row.moving_time_s,
    distanceM: row.distance_m,
    elevationGainM: row.elevation_gain_m,
    averageHeartrate: row.average_heartrate,
    maxHeartrate: row.max_heartrate,
    perceivedEffort: row.perceived_effort,
    name: row.name,
    externalLoad: row.external_load,
    trimp: row.trimp,
    source: row.source as ActivitySource
  }))
}

export interface HeartRateActivity {
  athlete_id: number
  id: number
  moving_time_s: number
  average_heartrate: number
  trimp: number
}

export async function listHeartRateActivities (trx: Database, athleteIds: number[]): Promise<HeartRateActivity[]> {
  return trx.selectFrom('activities')
    .select(['athlete_id', 'id', 'moving_time_s', 'average_heartrate', 'trimp'])
    .$narrowType<{ average_heartrate: number }>()
    .where('athlete_id', '=', sql<number>`any(${athleteIds}::bigint[])`)
    .where('average_heartrate', 'is not', null)
    .execute()
}

/** Rewrites TRIMP for many activities in one statement. */
export async function updateTrimp (trx: Database, rows: Array<{ athlete_id: number, id: number, trimp: number }>): Promise<void> {
  if (rows.length === 0) return
  await sql`
    update activities set trimp = given.trimp, updated_at = now()
    from unnest(${rows.map(r => r.athlete_id)}::bigint[], ${rows.map(r => r.id)}::bigint[], ${rows.map(r => r.trimp)}::float8[])
      as given (athlete_id, id, trimp)
    where activities.athlete_id = given.athlete_id and activities.id = given.id
  `.execute(trx)
}
