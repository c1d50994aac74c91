import { httpErrors } from '@fastify/sensible'
import { sql } from 'kysely'
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
  /** Athletes per transaction. */
  batchSize: number
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
 * and memory stay bounded; a failed batch leaves earlier batches committed, and its athletes
 * are retried one by one. The reply names the athletes that could not be computed.
 */
export async function recalculateAcwr (db: Database, options: RecalculateOptions): Promise<RecalculateResult> {
  const started = performance.now()
  const ids = await listTargets(db, options.athleteIds)
  const { batchSize, onBatch } = options
  const batches = Math.ceil(ids.length / batchSize)
  const failedAthleteIds: number[] = []
  let days = 0
  let written = 0
  for (let batch = 0; batch < batches; batch++) {
    const counts = await updateIsolating(db, ids.slice(batch * batchSize, (batch + 1) * batchSize), options, failedAthleteIds)
    days += counts.days
    written += counts.written
    onBatch?.(batch + 1, batches)
  }
  if (written >= ANALYZE_AFTER_ROWS) await sql`analyze acwr_daily`.execute(db)
  return {
    athletes: ids.length,
    days,
    durationMs: Math.round(performance.now() - started),
    failed: failedAthleteIds.length,
    failedAthleteIds
  }
}
