import type { Database } from '../db/database.ts'
import { readDays, type DayRange } from '../acwr/queries.ts'

/** The athlete's state and the stored PMC values of their days in the range, in one statement. */
export const readPmcDays = (db: Database, athleteId: number, range: DayRange) =>
  readDays(db, athleteId, range, ['day', 'external_load', 'internal_load',
    'external_ctl', 'external_atl', 'external_tsb', 'external_ramp_rate', 'external_monotony', 'external_strain',
    'internal_ctl', 'internal_atl', 'internal_tsb', 'internal_ramp_rate', 'internal_monotony', 'internal_strain'])

export type PmcDay = NonNullable<Awaited<ReturnType<typeof readPmcDays>>>['days'][number]
