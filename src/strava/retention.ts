import type { FastifyBaseLogger } from 'fastify'
import type { Task } from 'graphile-worker'
import { sql } from 'kysely'
import type { Database } from '../db/database.ts'
import { JOB_SCHEMA } from '../db/job-schema.ts'
import { PRIORITY } from './jobs.ts'

// Strava's terms bound how long an application may keep the data Strava lends it. With
// STRAVA_DATA_RETENTION_DAYS set, a Strava-sourced activity older than that keeps only what
// the training loads are made of and what places it in the series: its day, sport and
// source, and the loads computed when it was synced (external load, TRIMP). Everything else
// Strava sent (name, distance, climb, moving time, heart rates, effort, UTC start, zone, and
// the time of day of its local start) is dropped. The ACWR and PMC series read only the day
// and the stored loads, so they never change, not even on a full recompute. Pushed and
// imported activities belong to the athlete and are never touched.

/** Activities stripped per statement: each chunk commits on its own and holds its row locks briefly. */
export const RETENTION_CHUNK = 1000

const DAY_MS = 86_400_000

/** The first day kept whole: an activity of an earlier day loses its raw fields. */
export const retentionCutoff = (now: Date, retentionDays: number): string =>
  new Date(now.getTime() - retentionDays * DAY_MS).toISOString().slice(0, 10)

/**
 * Strava activities before `cutoff` that still carry their raw fields. A null moving time is
 * the mark of a stripped activity (every source stores one), and the partial index
 * activities_strava_raw_day holds exactly the unmarked ones.
 */
const expiredActivities = (db: Database, cutoff: string) => db.selectFrom('activities')
  .where('source', '=', 'strava')
  .where('moving_time_s', 'is not', null)
  .where('day', '<', cutoff)

export async function countExpiredStravaActivities (db: Database, cutoff: string): Promise<number> {
  const { count } = await expiredActivities(db, cutoff)
    .select(eb => eb.cast<number>(eb.fn.countAll(), 'integer').as('count'))
    .executeTakeFirstOrThrow()
  return count
}

/**
 * Drops the raw fields of up to `limit` expired activities in one statement. Rows a sync is
 * writing at this moment are skipped (SKIP LOCKED) rather than waited for, so retention
 * never deadlocks with a sync; the next run takes them. The local start keeps its day, at
 * midnight, because the day is derived from it and the list is ordered by it.
 */
async function dropChunk (db: Database, cutoff: string, limit: number): Promise<number> {
  const expired = expiredActivities(db, cutoff).select(['athlete_id', 'id'])
    .orderBy('day').limit(limit).forUpdate().skipLocked()
  const result = await db.updateTable('activities')
    .from(expired.as('expired'))
    .set(eb => ({
      name: null,
      distance_m: null,
      elevation_gain_m: null,
      moving_time_s: null,
      average_heartrate: null,
      max_heartrate: null,
      perceived_effort: null,
      start_date: null,
      timezone: null,
      start_date_local: eb.cast<string>('activities.day', 'timestamp'),
      updated_at: sql`now()`
    }))
    .whereRef('activities.athlete_id', '=', 'expired.athlete_id')
    .whereRef('activities.id', '=', 'expired.id')
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
}

export interface RetentionRun {
  /** The first day kept whole. */
  cutoff: string
  /** Activities whose raw fields were dropped by this run. */
  activities: number
}

/**
 * Drops the raw fields of every Strava activity older than `retentionDays`, in chunks. A
 * run that finds nothing to do reads one index range; running again drops nothing more.
 */
export async function dropExpiredStravaFields (db: Database, options: { retentionDays: number, now: Date, chunkSize?: number, onChunk?: (dropped: number) => void }): Promise<RetentionRun> {
  const cutoff = retentionCutoff(options.now, options.retentionDays)
  const chunkSize = options.chunkSize ?? RETENTION_CHUNK
  let activities = 0
  for (;;) {
    const dropped = await dropChunk(db, cutoff, chunkSize)
    activities += dropped
    if (dropped > 0) options.onChunk?.(activities)
    // A short chunk means nothing expired is left, or only rows locked by a sync right now.
    if (dropped < chunkSize) return { cutoff, activities }
  }
}

export interface RetentionPayload { retentionDays: number }

const RETENTION_JOB_KEY = 'strava-retention'
const HOUR_MS = 3_600_000

/** How often retention is queued: an activity loses its raw fields within an hour of expiring. */
export const RETENTION_INTERVAL_MS = HOUR_MS

export const nextRetentionRun = (now: Date) => new Date((Math.floor(now.getTime() / HOUR_MS) + 1) * HOUR_MS)

/**
 * Queues the retention job for the next whole hour (UTC). Every worker instance asks each
 * hour, and all of them name the same job key without moving its run time, so the job runs
 * once per hour on whichever instance takes it. It has a queue of its own, so two runs never
 * overlap.
 */
export async function queueRetention (db: Database, retentionDays: number, now: Date): Promise<void> {
  await sql`select ${sql.raw(JOB_SCHEMA)}.add_job(
    'strava-retention', json_build_object('retentionDays', ${retentionDays}::int),
    queue_name => 'strava-retention',
    run_at => ${nextRetentionRun(now).toISOString()}::timestamptz,
    max_attempts => 8,
    job_key => ${RETENTION_JOB_KEY},
    priority => ${PRIORITY.recent}::int,
    job_key_mode => 'preserve_run_at'
  )`.execute(db)
}

/** The worker's retention task. The period comes with the job, so every worker can run it, whatever its own configuration. */
export function retentionTask (db: Database, now: () => Date, log: FastifyBaseLogger): Task {
  return async payload => {
    const { retentionDays } = payload as RetentionPayload
    const run = await dropExpiredStravaFields(db, { retentionDays, now: now() })
    log.info({ ...run, retentionDays }, 'Strava data retention: raw fields of older Strava activities dropped')
  }
}
