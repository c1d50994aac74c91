import { httpErrors } from '@fastify/sensible'
import type { Database } from '../db/database.ts'
import { writeForAthlete } from '../db/athlete-writes.ts'
import { rollAcwrForward } from './engine.ts'
import { readAcwrDays, type AcwrDay, type AcwrState, type DayRange, type SeriesRead } from './queries.ts'
import { MAX_RANGE_DAYS } from './schemas.ts'
import { bandsFor, zoneOf } from './zones.ts'
import { DECIMALS, roundTo } from '../schemas/rounding.ts'

const DAY_MS = 86_400_000

export function addDays (day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10)
}

/** The series stops short of today: no roll-forward has run yet today for this athlete. */
const isStale = (state: AcwrState) => state.first_activity_day !== null && state.first_activity_day <= state.today &&
  (state.last_computed_day === null || state.last_computed_day < state.today)

/** A 400 naming `from` when the resolved range is reversed or too long. */
function checkRange ({ range_from: from, range_to: to }: AcwrState): void {
  if (from > to) throw httpErrors.badRequest(`from: must not be after to (${to})`)
  if ((Date.parse(to) - Date.parse(from)) / DAY_MS + 1 > MAX_RANGE_DAYS) throw httpErrors.badRequest(`from: the range may span at most ${MAX_RANGE_DAYS} days`)
}

/**
 * A series read: the athlete's state and the range's days in one statement. A 404 for an
 * unknown athlete and a 400 for a bad range come from the same read. A series that stops
 * short of today is rolled forward first and read again, so a read up to today never shows
 * a gap.
 */
export async function readSeries<Day> (
  db: Database, athleteId: number, range: DayRange,
  read: (db: Database, athleteId: number, range: DayRange) => Promise<SeriesRead<Day> | undefined>
): Promise<SeriesRead<Day>> {
  const series = await read(db, athleteId, range)
  if (!series) throw httpErrors.notFound(`athlete ${athleteId} not found`)
  checkRange(series)
  if (!isStale(series)) return series
  await writeForAthlete(db, athleteId, (trx, athlete) => rollAcwrForward(trx, [athlete]))
  return (await read(db, athleteId, range))!
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
const toDay = (row: AcwrDay) => ({
  date: row.day,
  complete: row.complete,
  external: loadValues(row.external_load, row.external_acute, row.external_chronic, row.external_ratio),
  internal: {
    ...loadValues(row.internal_load, row.internal_acute, row.internal_chronic, row.internal_ratio),
    coverage: roundTo(row.internal_coverage, DECIMALS.ratio)
  },
  divergence: roundTo(row.divergence, DECIMALS.ratio)
})

/** One entry per calendar day in the range, from the first activity through today at the latest. */
export async function acwrSeries (db: Database, athleteId: number, query: { from?: string, to?: string }) {
  const series = await readSeries(db, athleteId, query, readAcwrDays)
  return {
    athleteId,
    model: series.acwr_model,
    acuteDays: series.acute_days,
    chronicDays: series.chronic_days,
    decayRate: series.decay_rate,
    days: series.days.map(toDay)
  }
}

/** Today's entry; a 404 for an athlete without activities up to today. */
export async function latestAcwr (db: Database, athleteId: number) {
  const series = await readSeries(db, athleteId, { days: 1 }, readAcwrDays)
  const [row] = series.days
  if (!row) throw httpErrors.notFound(`athlete ${athleteId} has no activities yet`)
  const bands = bandsFor({ model: series.acwr_model, acuteDays: series.acute_days, chronicDays: series.chronic_days, decayRate: series.decay_rate })
  // The zone is read from the stored values, not the rounded ones, so it never depends on rounding.
  const zone = zoneOf({ ratio: row.external_ratio, chronic: row.external_chronic, complete: row.complete }, bands)
  return {
    ...toDay(row),
    zone,
    bands: { low: roundTo(bands.low, DECIMALS.ratio), high: roundTo(bands.high, DECIMALS.ratio), danger: roundTo(bands.danger, DECIMALS.ratio) }
  }
}
