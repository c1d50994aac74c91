import { sql, type Transaction } from 'kysely'
import { anyOf, rowsDiffer, unnestRows } from '../db/batch.ts'
import type { Database } from '../db/database.ts'
import type { DB } from '../db/types.ts'
import type { ActivitySource, ActivityView, LocalTimeBasis, NewActivity } from './schemas.ts'

export interface ActivityRow extends NewActivity {
  externalLoad: number
  /** Null when the activity has no heart rate. */
  trimp: number | null
  /** The UTC start, ISO-8601, when the source knows it. */
  startDate?: string | null
  /** The IANA zone of the start, when the source knows it. */
  timezone?: string | null
  localTimeBasis?: LocalTimeBasis | null
}

export interface UpsertCounts {
  inserted: number
  updated: number
  unchanged: number
  /** The earliest day the written rows touched, old days of moved activities included; null when nothing was written. */
  earliestDay: string | null
}

/** The stored fields an upsert compares: a row whose fields all match is not rewritten. */
const COMPARED_COLUMNS = [
  'start_date_local', 'name', 'sport_type', 'distance_m', 'elevation_gain_m', 'moving_time_s', 'average_heartrate',
  'max_heartrate', 'perceived_effort', 'external_load', 'trimp', 'source', 'start_date', 'timezone', 'local_time_basis'
] as const

function activityBatch (rows: ActivityRow[]) {
  const column = <K extends keyof ActivityRow>(key: K) => rows.map(row => row[key] ?? null)
  return unnestRows('given', {
    id: { type: 'bigint[]', values: column('id') },
    start_date_local: { type: 'timestamp[]', values: column('startDateLocal').map(stripZone) },
    name: { type: 'text[]', values: column('name') },
    sport_type: { type: 'text[]', values: column('sportType') },
    distance_m: { type: 'float8[]', values: column('distanceM') },
    elevation_gain_m: { type: 'float8[]', values: column('elevationGainM') },
    moving_time_s: { type: 'integer[]', values: column('movingTimeS') },
    average_heartrate: { type: 'float8[]', values: column('averageHeartrate') },
    max_heartrate: { type: 'float8[]', values: column('maxHeartrate') },
    perceived_effort: { type: 'smallint[]', values: column('perceivedEffort') },
    external_load: { type: 'float8[]', values: column('externalLoad') },
    trimp: { type: 'float8[]', values: column('trimp') },
    start_date: { type: 'timestamptz[]', values: column('startDate') },
    timezone: { type: 'text[]', values: column('timezone') },
    local_time_basis: { type: 'text[]', values: column('localTimeBasis') }
  })
}

/**
 * One statement for the whole batch: the rows travel as one array per column and are
 * unnested, so the parameter count does not grow with the batch. Rows whose values did not
 * change are not rewritten, and so not returned: the batch's size less the returned rows is
 * the unchanged count. A returned row whose xmax is 0 was inserted; PostgreSQL sets xmax on
 * the row version an ON CONFLICT update writes. An updated activity touches both its old and
 * its new day. The caller holds the athlete's lock, so no other writer changes these rows
 * between the two CTEs. Ids must be unique within the batch.
 */
export async function upsertActivityRows (trx: Transaction<DB>, athleteId: number, rows: ActivityRow[], source: ActivitySource): Promise<UpsertCounts> {
  const result = await activityUpsert(trx, athleteId, rows, source).executeTakeFirstOrThrow()
  return {
    inserted: result.inserted,
    updated: result.written - result.inserted,
    unchanged: rows.length - result.written,
    earliestDay: result.earliestDay
  }
}

/** The statement upsertActivityRows runs, unexecuted, so the benchmark can EXPLAIN it as sent. */
export function activityUpsert (db: Database, athleteId: number, rows: ActivityRow[], source: ActivitySource) {
  return db
    .with('previous', db => db.selectFrom('activities').select(['id', 'day'])
      .where('athlete_id', '=', athleteId).where('id', '=', anyOf(rows.map(row => row.id))))
    .with('written', db => db.insertInto('activities')
      .columns(['athlete_id', 'id', 'day', 'start_date_local', 'name', 'sport_type', 'distance_m', 'elevation_gain_m',
        'moving_time_s', 'average_heartrate', 'max_heartrate', 'perceived_effort', 'external_load', 'trimp', 'source',
        'start_date', 'timezone', 'local_time_basis'])
      .expression(db.selectFrom(activityBatch(rows)).select(eb => [
        eb.val(athleteId).as('athlete_id'), 'given.id', eb.cast<string>('given.start_date_local', 'date').as('day'),
        'given.start_date_local', 'given.name', 'given.sport_type', 'given.distance_m', 'given.elevation_gain_m',
        'given.moving_time_s', 'given.average_heartrate', 'given.max_heartrate', 'given.perceived_effort',
        'given.external_load', 'given.trimp', eb.val(source).as('source'),
        'given.start_date', 'given.timezone', 'given.local_time_basis'
      ]))
      .onConflict(oc => oc.columns(['athlete_id', 'id'])
        .doUpdateSet({
          day: eb => eb.ref('excluded.day'),
          start_date_local: eb => eb.ref('excluded.start_date_local'),
          name: eb => eb.ref('excluded.name'),
          sport_type: eb => eb.ref('excluded.sport_type'),
          distance_m: eb => eb.ref('excluded.distance_m'),
          elevation_gain_m: eb => eb.ref('excluded.elevation_gain_m'),
          moving_time_s: eb => eb.ref('excluded.moving_time_s'),
          average_heartrate: eb => eb.ref('excluded.average_heartrate'),
          max_heartrate: eb => eb.ref('excluded.max_heartrate'),
          perceived_effort: eb => eb.ref('excluded.perceived_effort'),
          external_load: eb => eb.ref('excluded.external_load'),
          trimp: eb => eb.ref('excluded.trimp'),
          source: eb => eb.ref('excluded.source'),
          start_date: eb => eb.ref('excluded.start_date'),
          timezone: eb => eb.ref('excluded.timezone'),
          local_time_basis: eb => eb.ref('excluded.local_time_basis'),
          updated_at: sql`now()`
        })
        .where(eb => rowsDiffer(
          COMPARED_COLUMNS.map(column => eb.ref(`activities.${column}`)),
          COMPARED_COLUMNS.map(column => eb.ref(`excluded.${column}`)))))
      .returning(['id', 'day', sql<boolean>`activities.xmax = 0`.as('inserted')]))
    .selectFrom('written')
    .leftJoin('previous', 'previous.id', 'written.id')
    .select(eb => [
      eb.cast<number>(eb.fn.countAll(), 'integer').as('written'),
      eb.cast<number>(eb.fn.countAll().filterWhere('written.inserted', '=', true), 'integer').as('inserted'),
      eb.fn<string | null>('least', [eb.fn.min('written.day'), eb.fn.min('previous.day')]).as('earliestDay')
    ])
}

/** The wall-clock time as PostgreSQL's `timestamp` reads it: Strava's trailing Z means nothing here. */
function stripZone (startDateLocal: string | null): string | null {
  return startDateLocal?.replace(/Z$/, '') ?? null
}

/** Deletes one activity and returns its day, or undefined when there was none. */
/** How many activities the athlete has stored; an index-only count over the primary key. */
export async function countActivities (trx: Transaction<DB>, athleteId: number): Promise<number> {
  const { count } = await trx.selectFrom('activities')
    .select(eb => eb.fn.countAll<string>().as('count'))
    .where('athlete_id', '=', athleteId)
    .executeTakeFirstOrThrow()
  return Number(count)
}

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
    source: row.source
  }))
}

export async function listHeartRateActivities (trx: Transaction<DB>, athleteIds: number[]) {
  return trx.selectFrom('activities')
    .select(['athlete_id', 'id', 'moving_time_s', 'average_heartrate', 'trimp'])
    .$narrowType<{ moving_time_s: number, average_heartrate: number }>()
    .where('athlete_id', '=', anyOf(athleteIds))
    .where('moving_time_s', 'is not', null)
    .where('average_heartrate', 'is not', null)
    .execute()
}

export type HeartRateActivity = Awaited<ReturnType<typeof listHeartRateActivities>>[number]

/** Rewrites TRIMP for many activities in one statement. */
export async function updateTrimp (trx: Transaction<DB>, rows: Array<Pick<HeartRateActivity, 'athlete_id' | 'id' | 'trimp'>>): Promise<void> {
  if (rows.length === 0) return
  await trx.updateTable('activities')
    .from(unnestRows('given', {
      athlete_id: { type: 'bigint[]', values: rows.map(row => row.athlete_id) },
      id: { type: 'bigint[]', values: rows.map(row => row.id) },
      trimp: { type: 'float8[]', values: rows.map(row => row.trimp) }
    }))
    .set({ trimp: eb => eb.ref('given.trimp'), updated_at: sql`now()` })
    .whereRef('activities.athlete_id', '=', 'given.athlete_id')
    .whereRef('activities.id', '=', 'given.id')
    .execute()
}
