import type { Static } from 'typebox'
import type { Database } from '../db/database.ts'
import { readSeries } from '../acwr/service.ts'
import { readPmcDays, type PmcDay } from './queries.ts'
import type { PmcSeries } from './schemas.ts'
import { DECIMALS, roundTo } from '../schemas/rounding.ts'

// Rounded at the API boundary like the ACWR replies; the ramp rate and strain as ratios.
const valuesOf = (row: PmcDay, load: 'external' | 'internal') => ({
  load: roundTo(row[`${load}_load`], DECIMALS.load),
  ctl: roundTo(row[`${load}_ctl`], DECIMALS.level),
  atl: roundTo(row[`${load}_atl`], DECIMALS.level),
  tsb: roundTo(row[`${load}_tsb`], DECIMALS.level),
  rampRate: roundTo(row[`${load}_ramp_rate`], DECIMALS.ratio),
  monotony: roundTo(row[`${load}_monotony`], DECIMALS.ratio),
  strain: roundTo(row[`${load}_strain`], DECIMALS.ratio)
})

/** One entry per calendar day in the range, from the first activity through today at the latest. */
export async function pmcSeries (db: Database, athleteId: number, query: { from?: string, to?: string }): Promise<Static<typeof PmcSeries>> {
  const series = await readSeries(db, athleteId, query, readPmcDays)
  return {
    athleteId,
    ctlDays: series.ctl_days,
    atlDays: series.atl_days,
    days: series.days.map(row => ({ date: row.day, external: valuesOf(row, 'external'), internal: valuesOf(row, 'internal') }))
  }
}
