import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { sql, type Insertable } from 'kysely'
import type pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import type { Database } from '../../src/db/database.ts'
import type { Activities } from '../../src/db/types.ts'
import { externalLoad, trimp, type HeartRateProfile } from '../../src/activities/loads.ts'
import { activityUpsert, upsertActivityRows } from '../../src/activities/queries.ts'
import { writeForAthlete } from '../../src/db/athlete-writes.ts'
import type { NewActivity } from '../../src/activities/schemas.ts'

/**
 * The ways of storing a batch that the activities suite compares, besides trainload's
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

/**
 * The two floors the batch is measured against, both filled by COPY FROM STDIN: `bare` has
 * the activities columns only (no keys, indexes or checks), COPY at its fastest; `keyed` has
 * the same primary key, index, checks, defaults and foreign key to athletes as activities,
 * so it pays what any write into that table must.
 */
export type CopyTarget = 'bare' | 'keyed'

const COPY_TABLES: Record<CopyTarget, string> = { bare: 'activities_staging', keyed: 'activities_keyed' }

const COPY_COLUMNS = [
  'athlete_id', 'id', 'day', 'start_date_local', 'name', 'sport_type', 'distance_m', 'elevation_gain_m',
  'moving_time_s', 'average_heartrate', 'max_heartrate', 'perceived_effort', 'external_load', 'trimp'
] as const

export async function createStagingTables (db: Database): Promise<void> {
  await sql`create table ${sql.table(COPY_TABLES.bare)} (like activities including defaults)`.execute(db)
  // LIKE copies keys, indexes and checks but never foreign keys: that one is added by hand.
  await sql`create table ${sql.table(COPY_TABLES.keyed)} (like activities including all)`.execute(db)
  await sql`alter table ${sql.table(COPY_TABLES.keyed)} add foreign key (athlete_id) references athletes (id) on delete cascade`.execute(db)
}

export async function emptyTables (db: Database): Promise<void> {
  await sql`truncate activities, acwr_daily, ${sql.table(COPY_TABLES.bare)}, ${sql.table(COPY_TABLES.keyed)}`.execute(db)
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

/** A floor: one COPY FROM STDIN of one athlete's activities into one of the copy tables. */
export async function copyInto (pool: pg.Pool, target: CopyTarget, athleteId: number, items: readonly NewActivity[]): Promise<void> {
  const client = await pool.connect()
  try {
    const copy = copyFrom(`copy ${COPY_TABLES[target]} (${COPY_COLUMNS.join(', ')}) from stdin`)
    await pipeline(Readable.from(copyText(athleteId, items)), client.query(copy))
  } finally {
    client.release()
  }
}

/** Where one batch statement's time goes, from EXPLAIN ANALYZE of the statement as sent. */
export interface BatchProfile {
  executionMs: number
  /** The foreign-key trigger on activities, run once per inserted row. */
  foreignKeyMs: number
  foreignKeyCalls: number
  /** Reading the unnested arrays: the scan feeding the insert. */
  unnestMs: number
  /** The lookup of the rows' previous days (the `previous` CTE). */
  previousMs: number
}

interface PlanNode {
  'Node Type': string
  'Relation Name'?: string
  'Actual Total Time': number
  'Actual Loops': number
  Plans?: PlanNode[]
}

const planNodes = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(planNodes)]

/**
 * EXPLAIN (ANALYZE) of trainload's batch statement for one athlete's activities, in a
 * transaction rolled back afterwards, so nothing it writes stays.
 */
export async function profileBatch (pool: pg.Pool, db: Database, athleteId: number, items: readonly NewActivity[]): Promise<BatchProfile> {
  const rows = items.map(item => ({ ...item, externalLoad: externalLoad(item), trimp: trimp(item.movingTimeS, item.averageHeartrate, BENCH_PROFILE) }))
  const compiled = activityUpsert(db, athleteId, rows, 'api').compile()
  const client = await pool.connect()
  try {
    await client.query('begin')
    const { rows: [explained] } = await client.query(`explain (analyze, format json) ${compiled.sql}`, [...compiled.parameters])
    await client.query('rollback')
    const [{ Plan: plan, Triggers: triggers, 'Execution Time': executionMs }] = explained['QUERY PLAN']
    const nodes = planNodes(plan)
    const time = (matches: (node: PlanNode) => boolean) =>
      nodes.filter(matches).reduce((sum, node) => sum + node['Actual Total Time'] * node['Actual Loops'], 0)
    const foreignKey = (triggers as Array<{ 'Constraint Name'?: string, Time: number, Calls: number }>)
      .filter(trigger => trigger['Constraint Name']?.includes('athlete_id_fkey'))
    return {
      executionMs,
      foreignKeyMs: foreignKey.reduce((sum, trigger) => sum + trigger.Time, 0),
      foreignKeyCalls: foreignKey.reduce((sum, trigger) => sum + trigger.Calls, 0),
      // The only function scan is the unnest; the only index scan of activities is `previous`, inlined.
      unnestMs: time(node => node['Node Type'] === 'Function Scan'),
      previousMs: time(node => node['Node Type'].startsWith('Index') && node['Relation Name'] === 'activities')
    }
  } catch (err) {
    await client.query('rollback').catch(() => {})
    throw err
  } finally {
    client.release()
  }
}
