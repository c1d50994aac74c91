import { httpErrors } from '@fastify/sensible'
import { sql } from 'kysely'
import type { Database } from '../db/database.ts'
import { listAthleteIds, lockAthletes } from '../db/athletes.ts'
import { recomputeAcwrFrom, rollAcwrForward } from './engine.ts'
import { findAcwrState, listAcwrRows, type AcwrRow, type AcwrState } from './queries.ts'
import { DEFAULT_RANGE_DAYS, MAX_RANGE_DAYS } from './schemas.ts'
import type { AcwrModel } from './models.ts'

const DAY_MS = 86_400_000

/**
 * Rows written by one batch job past which acwr_daily's planner statistics are refreshed at
 * once: a first full recompute fills an empty table, and until autovacuum catches up, the
 * planner would keep treating it as empty and scan it whole on every ingest.
 */
const ANALYZE_AFTER_ROWS = 50_000

export function addDays (day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10)
}

const daysBetween = (from: string, to: string) => Math.round((Date.parse(to) - Date.parse(from)) / DAY_MS)

export interface RecalculateOptions {
  /** Every athlete when omitted. */
  athleteIds?: number[]
  /** A day to recompute from, null for the whole history, or 'roll-forward' for only the days after each athlete's last computed day. */
  from: string | null | 'roll-forward'
  /** Athletes per transaction. */
  batchSize: number
  onBatch?: (done: number, total: number) => void
}

/**
 * Recomputes ACWR for many athletes, one transaction per batch of athletes so that locks
 * and memory stay bounded; a failed batch leaves earlier batches committed.
 */
export async function recalculateAcwr (db: Database, { athleteIds, from, batchSize, onBatch }: RecalculateOptions): Promise<{ athletes: number, days: number, durationMs: number }> {
  const started = performance.now()
  const known = await listAthleteIds(db)
  const ids = athleteIds === undefined ? known : [...new Set(athleteIds)].sort((a, b) => a - b)
  if (athleteIds !== undefined) {
    const knownIds = new Set(known)
    const unknown = ids.filter(id => !knownIds.has(id))
    if (unknown.length > 0) throw httpErrors.notFound(`athleteIds: unknown athlete ${unknown.slice(0, 10).join(', ')}`)
  }
  const batches = Math.ceil(ids.length / batchSize)
  let days = 0
  let written = 0
  for (let batch = 0; batch < batches; batch++) {
    const chunk = ids.slice(batch * batchSize, (batch + 1) * batchSize)
    const counts = await db.transaction().execute(async trx => {
      const athletes = await lockAthletes(trx, chunk)
      return from === 'roll-forward' ? rollAcwrForward(trx, athletes) : recomputeAcwrFrom(trx, athletes, from)
    })
    days += counts.days
    written += counts.written
    onBatch?.(batch + 1, batches)
  }
  if (written >= ANALYZE_AFTER_ROWS) await sql`analyze acwr_daily`.execute(db)
  return { athletes: ids.length, days, durationMs: Math.round(performance.now() - started) }
}

/**
 * The athlete's ACWR state, with the series extended to today first when it stops short:
 * a read up to today never shows a gap, even if no roll-forward has run yet today.
 */
async function currentState (db: Database, athleteId: number): Promise<AcwrState> {
  const state = await findAcwrState(db, athleteId)
  if (!state) throw httpErrors.notFound(`athlete ${athleteId} not found`)
  const stale = state.first_activity_day !== null && state.first_activity_day <= state.today &&
    (state.last_computed_day === null || state.last_computed_day < state.today)
  if (stale) {
    await db.transaction().execute(async trx => rollAcwrForward(trx, await lockAthletes(trx, [athleteId])))
  }
  return state
}

const toDay = (row: AcwrRow) => ({
  date: row.day,
  complete: row.complete,
  external: { load: row.external_load, acute: row.external_acute, chronic: row.external_chronic, ratio: row.external_ratio },
  internal: { load: row.internal_load, acute: row.internal_acute, chronic: row.internal_chronic, ratio: row.internal_ratio },
  divergence: row.divergence
})

function resolveRange (today: string, query: { from?: string, to?: string }): { from: string, to: string } {
  const to = query.to === undefined || query.to > today ? today : query.to
  const from = query.from ?? addDays(to, 1 - DEFAULT_RANGE_DAYS)
  if (from > to) throw httpErrors.badRequest(`from: must not be after to (${to})`)
  if (daysBetween(from, to) + 1 > MAX_RANGE_DAYS) throw httpErrors.badRequest(`from: the range may span at most ${MAX_RANGE_DAYS} days`)
  return { from, to }
}

/** One entry per calendar day in the range, from the first activity through today at the latest. */
export async function acwrSeries (db: Database, athleteId: number, query: { from?: string, to?: string }) {
  const state = await currentState(db, athleteId)
  const { from, to } = resolveRange(state.today, query)
  const rows = await listAcwrRows(db, athleteId, from, to)
  return {
    athleteId,
    model: state.acwr_model as AcwrModel,
    acuteDays: state.acute_days,
    chronicDays: state.chronic_days,
    decayRate: state.decay_rate,
    days: rows.map(toDay)
  }
}

/**
 * Display zones of the external ratio (DESIGN.md). The ratio is undefined when the chronic
 * load is 0: with no acute load either that is plain rest ('low'); with acute load it is load
 * arriving out of nothing, the steepest spike there is ('danger').
 */
export function zoneOf ({ ratio, acute }: { ratio: number | null, acute: number }): 'low' | 'optimal' | 'high' | 'danger' {
  if (ratio === null) return acute > 0 ? 'danger' : 'low'
  if (ratio < 0.8) return 'low'
  if (ratio <= 1.3) return 'optimal'
  if (ratio <= 1.5) return 'high'
  return 'danger'
}

/** Today's entry; a 404 for an athlete without activities up to today. */
export async function latestAcwr (db: Database, athleteId: number) {
  const state = await currentState(db, athleteId)
  const [row] = await listAcwrRows(db, athleteId, state.today, state.today)
  if (!row) throw httpErrors.notFound(`athlete ${athleteId} has no activities yet`)
  const day = toDay(row)
  return { ...day, zone: zoneOf(day.external) }
}
