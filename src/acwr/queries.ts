import { sql } from 'kysely'
import type { Database } from '../db/database.ts'

/**
 * An athlete's ACWR and PMC settings and how far their series reaches (`today` is today in the
 * athlete's timezone), or undefined for an unknown athlete.
 */
export async function findAcwrState (db: Database, athleteId: number) {
  return db.selectFrom('athletes')
    .select(eb => [
      'acwr_model', 'acute_days', 'chronic_days', 'decay_rate', 'ctl_days', 'atl_days',
      sql<string>`(now() at time zone ${eb.ref('timezone')})::date`.as('today'),
      eb.selectFrom('activities').select(inner => inner.fn.min('day').as('day'))
        .whereRef('activities.athlete_id', '=', 'athletes.id').as('first_activity_day'),
      eb.selectFrom('acwr_daily').select(inner => inner.fn.max('day').as('day'))
        .whereRef('acwr_daily.athlete_id', '=', 'athletes.id').as('last_computed_day')
    ])
    .where('id', '=', athleteId)
    .executeTakeFirst()
}

export async function listAcwrRows (db: Database, athleteId: number, from: string, to: string) {
  return db.selectFrom('acwr_daily')
    .select(['day', 'complete', 'external_load', 'external_acute', 'external_chronic', 'external_ratio',
      'internal_load', 'internal_acute', 'internal_chronic', 'internal_ratio', 'internal_coverage', 'divergence'])
    .where('athlete_id', '=', athleteId)
    .where('day', '>=', from).where('day', '<=', to)
    .orderBy('day')
    .execute()
}

export type AcwrState = NonNullable<Awaited<ReturnType<typeof findAcwrState>>>

export type AcwrRow = Awaited<ReturnType<typeof listAcwrRows>>[number]
