import type { Static } from 'typebox'
import type { Database } from '../db/database.ts'
import { currentState, resolveRange } from '../acwr/service.ts'
import { listPmcRows, type PmcRow } from './queries.ts'
import type { PmcSeries } from './schemas.ts'

/** Rounds at the API boundary; storage keeps full precision. */
const rounded = (value: number, decimals: number) => {
  const scale = 10 ** decimals
  return Math.round(value * scale) / scale
}
const roundedOrNull = (value: number | null, decimals: number) => value === null ? null : rounded(value, decimals)

// Loads to 2 decimals, CTL, ATL and TSB to 3, the ramp rate, monotony and strain to 4.
const valuesOf = (row: PmcRow, load: 'external' | 'internal') => ({
  load: roundedOrNull(row[`${load}_load`], 2),
  ctl: rounded(row[`${load}_ctl`], 3),
  atl: rounded(row[`${load}_atl`], 3),
  tsb: rounded(row[`${load}_tsb`], 3),
  rampRate: roundedOrNull(row[`${load}_ramp_rate`], 4),
  monotony: roundedOrNull(row[`${load}_monotony`], 4),
  strain: roundedOrNull(row[`${load}_strain`], 4)
})

/** One entry per calendar day in the range, from the first activity through today at the latest. */
export async function pmcSeries (db: Database, athleteId: number, query: { from?: string, to?: string }): Promise<Static<typeof PmcSeries>> {
  const state = await currentState(db, athleteId)
  const { from, to } = resolveRange(state.today, query)
  const rows = await listPmcRows(db, athleteId, from, to)
  return {
    athleteId,
    ctlDays: state.ctl_days,
    atlDays: state.atl_days,
    days: rows.map(row => ({ date: row.day, external: valuesOf(row, 'external'), internal: valuesOf(row, 'internal') }))
  }
}
