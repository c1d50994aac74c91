import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'kysely'
import { anyOf } from '../db/batch.ts'
import type { Database } from '../db/database.ts'
import { JOB_SCHEMA } from '../db/job-schema.ts'
import { countLiveWorkers, syncJobKeys } from './jobs.ts'
import type { SyncState } from './queries.ts'
import type { SyncStatus } from './schemas.ts'
import { describeSyncState } from './service.ts'

/** The states a sync rests in until it is asked again or its retry time comes: a wait for it ends there. */
export const SETTLED_STATES: readonly SyncState[] = ['idle', 'deferred', 'failed', 'disconnected']

export interface AthleteSyncProgress extends SyncStatus {
  athleteId: number
  /** Pages of the backfill written so far. */
  backfillPages: number
  settled: boolean
}

/**
 * The athletes whose sync job is running or due to run now. A job waiting for a later time
 * (a deferred sync, a failed one's retry) does not count: its athlete's state already says so.
 */
async function athletesWithSyncDue (db: Database, athleteIds: number[]): Promise<Set<number>> {
  const athleteOfKey = new Map(athleteIds.flatMap(id => syncJobKeys(id).map(key => [key, id] as const)))
  const { rows } = await sql<{ key: string }>`
    select key from ${sql.table(`${JOB_SCHEMA}.jobs`)}
    where key = any(${[...athleteOfKey.keys()]}::text[])
      and (locked_at is not null or (attempts < max_attempts and run_at <= now()))`.execute(db)
  return new Set(rows.map(row => athleteOfKey.get(row.key)!))
}

/**
 * Where each athlete's sync stands. It is settled once its state is one of SETTLED_STATES and
 * no sync job of theirs is running or due: a sync asked for while another ran shows the
 * running one's end first, and the one asked for is still to come.
 */
export async function syncProgress (db: Database, athleteIds: number[]): Promise<AthleteSyncProgress[]> {
  if (athleteIds.length === 0) return []
  const [rows, due] = await Promise.all([
    db.selectFrom('strava_sync_state').selectAll().where('athlete_id', '=', anyOf(athleteIds)).execute(),
    athletesWithSyncDue(db, athleteIds)
  ])
  const rowOf = new Map(rows.map(row => [row.athlete_id, row]))
  return athleteIds.map(athleteId => {
    const row = rowOf.get(athleteId)
    // Queuing creates the row; an athlete without one was deleted since, and has nothing to sync.
    const status = describeSyncState(row, row?.state ?? 'disconnected')
    return { athleteId, ...status, backfillPages: row?.backfill_pages ?? 0, settled: SETTLED_STATES.includes(status.state) && !due.has(athleteId) }
  })
}

export interface WaitOptions {
  timeoutMs: number
  pollMs?: number
  /** How long a worker seen earlier may be gone (a restart) before the wait gives up. */
  workerGraceMs?: number
  onProgress?: (athletes: AthleteSyncProgress[]) => void
}

export type WaitOutcome = 'settled' | 'timed-out' | 'no-worker'

/**
 * Polls until every athlete's sync has settled. The jobs run in the workers of the service's
 * instances, not in the caller, so the wait ends early when no worker is alive: at once when
 * none runs at the start, or after `workerGraceMs` without one.
 */
export async function waitForSyncs (db: Database, athleteIds: number[], { timeoutMs, pollMs = 1000, workerGraceMs = 10_000, onProgress }: WaitOptions): Promise<{ outcome: WaitOutcome, athletes: AthleteSyncProgress[] }> {
  const started = Date.now()
  let workerSeenAt: number | undefined
  for (;;) {
    const [athletes, workers] = await Promise.all([syncProgress(db, athleteIds), countLiveWorkers(db)])
    onProgress?.(athletes)
    if (athletes.every(athlete => athlete.settled)) return { outcome: 'settled', athletes }
    const now = Date.now()
    if (workers > 0) workerSeenAt = now
    else if (workerSeenAt === undefined || now - workerSeenAt > workerGraceMs) return { outcome: 'no-worker', athletes }
    if (now - started >= timeoutMs) return { outcome: 'timed-out', athletes }
    await sleep(pollMs)
  }
}
