import { httpErrors } from '@fastify/sensible'
import { sql } from 'kysely'
import pLimit from 'p-limit'
import type { Database } from '../db/database.ts'
import { isDatabaseUnavailable } from '../db/errors.ts'
import { retryConflicts } from '../db/retry.ts'
import { listAthleteIds, lockAthletes } from '../db/athletes.ts'
import { recomputeAcwrFrom, rollAcwrForward } from './engine.ts'
import type { AcwrUpdateCounts } from './statement.ts'

/**
 * Rows written by one batch job past which acwr_daily's planner statistics are refreshed at
 * once: a first full recompute fills an empty table, and until autovacuum catches up, the
 * planner would keep treating it as empty and scan it whole on every ingest.
 */
const ANALYZE_AFTER_ROWS = 50_000

export interface RecalculateOptions {
  /** Every athlete when omitted. */
  athleteIds?: number[]
  /** A day to recompute from, null for the whole history, or 'roll-forward' for only the days after each athlete's last computed day. */
  from: string | null | 'roll-forward'
  /** Most athletes per transaction; fewer when that leaves a connection without a batch. */
  batchSize: number
  /** Batches in flight at once, each a transaction on its own connection; 1 when omitted. */
  concurrency?: number
  onBatch?: (done: number, total: number) => void
  /** Told about each athlete whose series could not be computed; the others go on. */
  onAthleteFailed?: (athleteId: number, err: unknown) => void
}

export type RecalculateResult = {
  athletes: number
  days: number
  durationMs: number
  /** Athletes whose series could not be computed and kept their stored rows. */
  failed: number
  failedAthleteIds: number[]
}

async function listTargets (db: Database, athleteIds: number[] | undefined): Promise<number[]> {
  const known = await listAthleteIds(db)
  if (athleteIds === undefined) return known
  const ids = [...new Set(athleteIds)].sort((a, b) => a - b)
  const knownIds = new Set(known)
  const unknown = ids.filter(id => !knownIds.has(id))
  if (unknown.length > 0) throw httpErrors.notFound(`athleteIds: unknown athlete ${unknown.slice(0, 10).join(', ')}`)
  return ids
}

/** One transaction: locks the athletes and brings their series up to date; rerun after a deadlock. */
function updateBatch (db: Database, athleteIds: number[], from: RecalculateOptions['from']): Promise<AcwrUpdateCounts> {
  return retryConflicts(() => db.transaction().execute(async trx => {
    const athletes = await lockAthletes(trx, athleteIds)
    return from === 'roll-forward' ? rollAcwrForward(trx, athletes) : recomputeAcwrFrom(trx, athletes, from)
  }))
}

/**
 * A batch that fails is split in halves and each half retried, down to single athletes, so
 * that one athlete whose series cannot be computed never holds back the others and a lone
 * failure costs a few extra transactions, not one per athlete. An unavailable database is no
 * athlete's fault: it ends the whole run.
 */
async function updateIsolating (db: Database, athleteIds: number[], options: RecalculateOptions, failed: number[]): Promise<AcwrUpdateCounts> {
  try {
    return await updateBatch(db, athleteIds, options.from)
  } catch (err) {
    if (isDatabaseUnavailable(err)) throw err
    if (athleteIds.length === 1) {
      failed.push(athleteIds[0]!)
      options.onAthleteFailed?.(athleteIds[0]!, err)
      return { days: 0, written: 0 }
    }
  }
  const half = Math.ceil(athleteIds.length / 2)
  const first = await updateIsolating(db, athleteIds.slice(0, half), options, failed)
  const second = await updateIsolating(db, athleteIds.slice(half), options, failed)
  return { days: first.days + second.days, written: first.written + second.written }
}

/**
 * Recomputes ACWR for many athletes, one transaction per batch of athletes so that locks
 * and memory stay bounded; a failed batch leaves the other batches committed, and its
 * athletes are retried one by one. Up to `concurrency` batches run at once on their own
 * connections, so the statement's sorts and window passes use more than one core; batches
 * hold disjoint athletes, so they never wait on each other's locks. An unavailable database
 * stops the batches not yet started, lets those in flight end, then ends the run. The reply
 * names the athletes that could not be computed.
 */
export async function recalculateAcwr (db: Database, options: RecalculateOptions): Promise<RecalculateResult> {
  const started = performance.now()
  const ids = await listTargets(db, options.athleteIds)
  const concurrency = options.concurrency ?? 1
  // The batches come in a multiple of `concurrency`, of equal size, so the connections end
  // together: 1,000 athletes at 200 a batch on 2 connections are 6 batches of 167, where 5 of
  // 200 would leave one connection idle while the other ran the fifth.
  const rounds = Math.max(1, Math.ceil(ids.length / (options.batchSize * concurrency)))
  const batchSize = Math.max(1, Math.ceil(ids.length / (rounds * concurrency)))
  const batches = Array.from({ length: Math.ceil(ids.length / batchSize) }, (_, batch) => ids.slice(batch * batchSize, (batch + 1) * batchSize))
  const failedAthleteIds: number[] = []
  // rejectOnClear: batches dropped from the queue settle (as aborted) instead of hanging the run.
  const limit = pLimit({ concurrency, rejectOnClear: true })
  const { onBatch } = options
  let done = 0
  const outcomes = await Promise.allSettled(batches.map(athleteIds => limit(async () => {
    try {
      return await updateIsolating(db, athleteIds, options, failedAthleteIds)
    } catch (err) {
      limit.clearQueue()
      throw err
    } finally {
      onBatch?.(++done, batches.length)
    }
  })))
  const failures = outcomes.filter(outcome => outcome.status === 'rejected').map(outcome => outcome.reason as unknown)
  if (failures.length > 0) throw failures.find(err => !(err instanceof Error && err.name === 'AbortError')) ?? failures[0]
  const counts = outcomes.map(outcome => (outcome as PromiseFulfilledResult<AcwrUpdateCounts>).value)
  const written = counts.reduce((sum, count) => sum + count.written, 0)
  if (written >= ANALYZE_AFTER_ROWS) await sql`analyze acwr_daily`.execute(db)
  return {
    athletes: ids.length,
    days: counts.reduce((sum, count) => sum + count.days, 0),
    durationMs: Math.round(performance.now() - started),
    failed: failedAthleteIds.length,
    failedAthleteIds: failedAthleteIds.sort((a, b) => a - b)
  }
}
