import type { Database } from '../db/database.ts'

/** The stored PMC values of an athlete's days from `from` to `to`, in day order. */
export async function listPmcRows (db: Database, athleteId: number, from: string, to: string) {
  return db.selectFrom('acwr_daily')
    .select(['day', 'external_load', 'internal_load',
      'external_ctl', 'external_atl', 'external_tsb', 'external_ramp_rate', 'external_monotony', 'external_strain',
      'internal_ctl', 'internal_atl', 'internal_tsb', 'internal_ramp_rate', 'internal_monotony', 'internal_strain'])
    .where('athlete_id', '=', athleteId)
    .where('day', '>=', from).where('day', '<=', to)
    .orderBy('day')
    .execute()
}

export type PmcRow = Awaited<ReturnType<typeof listPmcRows>>[number]
