import { httpErrors } from '@fastify/sensible'
import type { Database } from '../db/database.ts'
import { writeForAthlete } from '../db/athlete-writes.ts'
import { rollAcwrForward } from './engine.ts'
import { findAcwrState, listAcwrRows, type AcwrRow, type AcwrState } from './queries.ts'
import { DEFAULT_RANGE_DAYS, MAX_RANGE_DAYS } from './schemas.ts'
import { bandsFor, zoneOf } from './zones.ts'
import { DECIMALS, roundTo } from '../schemas/rounding.ts'

const DAY_MS = 86_400_000

export function addDays (day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10)
}

const daysBetween = (from: string, to: string) => Math.round((Date.parse(to) - Date.parse(from)) / DAY_MS)

/**
 * The athlete's ACWR state, with the series extended to today first when it stops short:
 * a read up to today never shows a gap, even if no roll-forward has run yet today.
 */
export async function currentState (db: Database, athleteId: number): Promise<AcwrState> {
  const state = await findAcwrState(db, athleteId)
  if (!state) throw httpErrors.notFound(`athlete ${athleteId} not found`)
  const stale = state.first_activity_day !== null && state.first_activity_day <= state.today &&
    (state.last_computed_day === null || state.last_computed_day < state.today)
  if (stale) {
    await writeForAthlete(db, athleteId, (trx, athlete) => rollAcwrForward(trx, [athlete]))
  }
  return state
}

function loadValues (load: number, acute: number, chronic: number, ratio: number | null): { load: number, acute: number, chronic: number, ratio: number | null }
function loadValues (load: number | null, acute: number | null, chronic: number | null, ratio: number | null): { load: number | null, acute: number | null, chronic: number | null, ratio: number | null }
function loadValues (load: number | null, acute: number | null, chronic: number | null, ratio: number | null) {
  return {
    load: roundTo(load, DECIMALS.load),
    acute: roundTo(acute, DECIMALS.level),
    chronic: roundTo(chronic, DECIMALS.level),
    ratio: roundTo(ratio, DECIMALS.ratio)
  }
}

/** A stored day as the API shows it, rounded (storage keeps full precision). */
const toDay = (row: AcwrRow) => ({
  date: row.day,
  complete: row.complete,
  external: loadValues(row.external_load, row.external_acute, row.external_chronic, row.external_ratio),
  internal: {
    ...loadValues(row.internal_load, row.internal_acute, row.internal_chronic, row.internal_ratio),
    coverage: roundTo(row.internal_coverage, DECIMALS.ratio)
  },
  divergence: roundTo(row.divergence, DECIMALS.ratio)
})

/** The requested days, `to` at most today: a 400 naming `from` when the range is reversed or too long. */
export function resolveRange (today: string, query: { from?: string, to?: string }): { from: string, to: string } {
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
    model: state.acwr_model,
    acuteDays: state.acute_days,
    chronicDays: state.chronic_days,
    decayRate: state.decay_rate,
    days: rows.map(toDay)
  }
}

/** Today's entry; a 404 for an athlete without activities up to today. */
export async function latestAcwr (db: Database, athleteId: number) {
  const state = await currentState(db, athleteId)
  const [row] = await listAcwrRows(db, athleteId, state.today, state.today)
  if (!row) throw httpErrors.notFound(`athlete ${athleteId} has no activities yet`)
  const bands = bandsFor({ model: state.acwr_model, acuteDays: state.acute_days, chronicDays: state.chronic_days, decayRate: state.decay_rate })
  // The zone is read from the stored values, not the rounded ones, so it never depends on rounding.
  const zone = zoneOf({ ratio: row.external_ratio, chronic: row.external_chronic, complete: row.complete }, bands)
  return {
    ...toDay(row),
    zone,
    bands: { low: roundTo(bands.low, DECIMALS.ratio), high: roundTo(bands.high, DECIMALS.ratio), danger: roundTo(bands.danger, DECIMALS.ratio) }
  }
}
