import { sql } from 'kysely'
import type { Database } from '../db/database.ts'
import { DEFAULT_RANGE_DAYS, MAX_RANGE_DAYS } from './schemas.ts'

/**
 * Days requested by a series read. `to` defaults to today and is at most today; without
 * `from`, the range is the `days` days (DEFAULT_RANGE_DAYS) that end at `to`.
 */
export interface DayRange { from?: string, to?: string, days?: number }

/**
 * An athlete's ACWR and PMC settings, how far their series reaches (`today` is today in the
 * athlete's timezone), and the requested range resolved against today (`range_from`,
 * `range_to`). Series reads join their days onto this, so that a read is one statement.
 */
function withState (db: Database, athleteId: number, range: DayRange) {
  return db
    .with('state', db => db.selectFrom('athletes')
      .select(eb => [
        'acwr_model', 'acute_days', 'chronic_days', 'decay_rate', 'ctl_days', 'atl_days',
        sql<string>`(now() at time zone ${eb.ref('timezone')})::date`.as('today'),
        eb.selectFrom('activities').select(inner => inner.fn.min('day').as('day'))
          .whereRef('activities.athlete_id', '=', 'athletes.id').as('first_activity_day'),
        eb.selectFrom('acwr_daily').select(inner => inner.fn.max('day').as('day'))
          .whereRef('acwr_daily.athlete_id', '=', 'athletes.id').as('last_computed_day')
      ])
      .where('id', '=', athleteId))
    .with('span', db => db.selectFrom('state').selectAll()
      .select(sql<string>`least(coalesce(${range.to ?? null}::date, today), today)`.as('range_to')))
    .with('bounds', db => db.selectFrom('span').selectAll()
      .select(sql<string>`coalesce(${range.from ?? null}::date, range_to - ${(range.days ?? DEFAULT_RANGE_DAYS) - 1}::int)`.as('range_from')))
}

/** The athlete's state with the resolved range, or undefined for an unknown athlete. */
export async function findAcwrState (db: Database, athleteId: number, range: DayRange = {}) {
  return withState(db, athleteId, range).selectFrom('bounds').selectAll().executeTakeFirst()
}

export type AcwrState = NonNullable<Awaited<ReturnType<typeof findAcwrState>>>

/** The state's columns, repeated on every day a series read returns. */
const STATE_COLUMNS = ['acwr_model', 'acute_days', 'chronic_days', 'decay_rate', 'ctl_days', 'atl_days',
  'today', 'first_activity_day', 'last_computed_day', 'range_from', 'range_to'] as const

/**
 * The stored days of a valid range, in day order, each with the state. An unknown athlete,
 * a reversed or too long range, and a range without stored days all return no rows: the
 * caller then reads the state alone to tell them apart.
 */
export function daysInRange (db: Database, athleteId: number, range: DayRange) {
  return withState(db, athleteId, range).selectFrom('bounds')
    .innerJoin('acwr_daily', join => join
      .on('acwr_daily.athlete_id', '=', athleteId)
      .onRef('acwr_daily.day', '>=', 'bounds.range_from')
      .onRef('acwr_daily.day', '<=', 'bounds.range_to')
      .on(sql<boolean>`bounds.range_to - bounds.range_from < ${MAX_RANGE_DAYS}`))
    .select(STATE_COLUMNS.map(column => `bounds.${column}` as const))
    .orderBy('acwr_daily.day')
}

export async function listAcwrRows (db: Database, athleteId: number, range: DayRange) {
  return daysInRange(db, athleteId, range)
    .select(['day', 'complete', 'external_load', 'external_acute', 'external_chronic', 'external_ratio',
      'internal_load', 'internal_acute', 'internal_chronic', 'internal_ratio', 'internal_coverage', 'divergence'])
    .execute()
}

export type AcwrRow = Awaited<ReturnType<typeof listAcwrRows>>[number]
