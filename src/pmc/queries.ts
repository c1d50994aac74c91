import type { Database } from '../db/database.ts'
import { daysInRange, type DayRange } from '../acwr/queries.ts'

/** The stored PMC values of an athlete's days in the range, each with the athlete's state. */
export async function listPmcRows (db: Database, athleteId: number, range: DayRange) {
  return daysInRange(db, athleteId, range)
    .select(['day', 'external_load', 'internal_load',
      'external_ctl', 'external_atl', 'external_tsb', 'external_ramp_rate', 'external_monotony', 'external_strain',
      'internal_ctl', 'internal_atl', 'internal_tsb', 'internal_ramp_rate', 'internal_monotony', 'internal_strain'])
    .execute()
}

export type PmcRow = Awaited<ReturnType<typeof listPmcRows>>[number]
