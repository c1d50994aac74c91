import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { sql, type Insertable } from 'kysely'
import type pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import type { Database } from '../../src/db/database.ts'
import type { Activities } from '../../src/db/types.ts'
import { externalLoad, trimp, type HeartRateProfile } from '../../src/activities/loads.ts'
import { upsertActivityRows } from '../../src/activities/queries.ts'
import { writeForAthlete } from '../../src/db/athlete-writes.ts'
import type { NewActivity } from '../../src/activities/schemas.ts'

/**
 * The three ways of storing a batch that the activities suite compares, besides trainload's
 * own `upsertActivities`. Each computes the loads the same way, in JavaScript, per activity.
 */

/** Heart-rate settings of the bench athletes: none set, so TRIMP uses the defaults, as for most new athletes. */
export const BENCH_PROFILE: HeartRateProfile = { sex: null, restingHr: null, maxHr: null }

/** One activities row, as an ORM entity would carry it. */
function activityRecord (athleteId: number, item: NewActivity, profile: HeartRateProfile): Insertable<Activities> {
  return {
    athlete_id: athleteId,
    id: item.id,
    day: item.startDateLocal.slice(0, 10),
    start_date_local: item.startDateLocal,
    name: item.name ?? null,
    sport_type: item.sportType,
    distance_m: item.distanceM ?? null,
    elevation_gain_m: item.elevationGainM ?? null,
    moving_time_s: item.movingTimeS,
    average_heartrate: item.averageHeartrate ?? null,
    max_heartrate: item.maxHeartrate ?? null,
    perceived_effort: item.perceivedEffort ?? null,
    external_load: externalLoad(item),
    trimp: trimp(item.movingTimeS, item.averageHeartrate, profile)
  }
}

/**
 * What an ORM loop does: one INSERT ... ON CONFLICT per activity, each in its own
 * transaction. The per-row loop is the point of this baseline; trainload never does it.
 */
export async function upsertRowByRow (db: Database, athleteId: number, items: readonly NewActivity[]): Promise<void> {
  for (const item of items) {
    const record = activityRecord(athleteId, item, BENCH_PROFILE)
    await db.transaction().execute(trx => trx.insertInto('activities').values(record)
      .onConflict(oc => oc.columns(['athlete_id', 'id']).doUpdateSet(eb => ({
        day: eb.ref('excluded.day'),
        start_date_local: eb.ref('excluded.start_date_local'),
        name: eb.ref('excluded.name'),
        sport_type: eb.ref('excluded.sport_type'),
        distance_m: eb.ref('excluded.distance_m'),
        elevation_gain_m: eb.ref('excluded.elevation_gain_m'),
        moving_time_s: eb.ref('excluded.moving_time_s'),
        average_heartrate: eb.ref('excluded.average_heartrate'),
        max_heartrate: eb.ref('excluded.max_heartrate'),
        perceived_effort: eb.ref('excluded.perceived_effort'),
        external_load: eb.ref('excluded.external_load'),
        trimp: eb.ref('excluded.trimp'),
        updated_at: sql`now()`
      })))
      .execute())
  }
}

/**
 * trainload's batch statement without the ACWR update that `upsertActivities` runs after it:
 * the same lock, load computation and unnest upsert, in one transaction.
 */
export async function upsertRowsOnly (db: Database, athleteId: number, items: readonly NewActivity[]): Promise<void> {
  await writeForAthlete(db, athleteId, async trx => {
    const rows = items.map(item => ({
      ...item,
      externalLoad: externalLoad(item),
      trimp: trimp(item.movingTimeS, item.averageHeartrate, BENCH_PROFILE)
    }))
    await upsertActivityRows(trx, athleteId, rows, 'api')
  })
}

const STAGING_TABLE = 'activities_staging'
const COPY_COLUMNS = [
  'athlete_id', 'id', 'day', 'start_date_local', 'name', 'sport_type', 'distance_m', 'elevation_gain_m',
  'moving_time_s', 'average_heartrate', 'max_heartrate', 'perceived_effort', 'external_load', 'trimp'
] as const

/** The activities columns without their keys, indexes or checks: what COPY fills at its fastest. */
export async function createStagingTable (db: Database): Promise<void> {
  await sql`create table ${sql.table(STAGING_TABLE)} (like activities including defaults)`.execute(db)
}

export async function emptyTables (db: Database): Promise<void> {
  await sql`truncate activities, acwr_daily, ${sql.table(STAGING_TABLE)}`.execute(db)
}

/** COPY's text format: tab-separated, \N for null, backslash escapes in text. */
function copyField (value: unknown): string {
  if (value === null || value === undefined) return '\\N'
  return String(value).replace(/[\\\t\n\r]/g, char => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[char]!)
}

/** Rows of COPY text, a thousand per chunk so the stream is not driven line by line. */
function * copyText (athleteId: number, items: readonly NewActivity[]): Generator<string> {
  const rowsPerChunk = 1000
  for (let start = 0; start < items.length; start += rowsPerChunk) {
    yield items.slice(start, start + rowsPerChunk).map(item => {
      const record = activityRecord(athleteId, item, BENCH_PROFILE)
      return COPY_COLUMNS.map(column => copyField(record[column])).join('\t') + '\n'
    }).join('')
  }
}

/** The floor: one COPY FROM STDIN of one athlete's activities into the bare staging table. */
export async function copyIntoStaging (pool: pg.Pool, athleteId: number, items: readonly NewActivity[]): Promise<void> {
  const client = await pool.connect()
  try {
    const target = copyFrom(`copy ${STAGING_TABLE} (${COPY_COLUMNS.join(', ')}) from stdin`)
    await pipeline(Readable.from(copyText(athleteId, items)), client.query(target))
  } finally {
    client.release()
  }
}
