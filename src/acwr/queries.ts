import { sql } from 'kysely'
import { jsonArrayFrom } from 'kysely/helpers/postgres'
import type { Database } from '../db/database.ts'
import type { AcwrDaily } from '../db/types.ts'
import { DEFAULT_RANGE_DAYS, MAX_RANGE_DAYS } from './schemas.ts'

/**
 * Days requested by a series read. `to` defaults to today and is at most today; without
 * `from`, the range is the `days` days (DEFAULT_RANGE_DAYS) that end at `to`.
 */
export interface DayRange { from?: string, to?: string, days?: number }

/**
 * An athlete's ACWR and PMC settings, how far their series reaches (`today` is today in the
 * athlete's timezone), and the requested range resolved against today (`range_from`,
 * `range_to`). Series reads add their days to it, so that a read is one statement.
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

/**
 * A series read in one statement and one row: the athlete's state with the resolved range,
 * and the range's stored days (the given columns, in day order) as one JSON array. One row
 * rather than a row per day, as parsing a row per day and a field per column costs the
 * process more than the database's whole statement; JSON.parse of one array costs little.
 * A reversed or too long range reads no days, and the caller answers 400 from the state.
 * Undefined for an unknown athlete.
 */
export async function readDays<Column extends Exclude<keyof AcwrDaily, 'athlete_id' | 'updated_at'>> (db: Database, athleteId: number, range: DayRange, columns: readonly Column[]) {
  return withState(db, athleteId, range).selectFrom('bounds')
    .selectAll('bounds')
    .select(eb => jsonArrayFrom(eb.selectFrom('acwr_daily')
      .select(columns)
      .where('acwr_daily.athlete_id', '=', athleteId)
      .whereRef('acwr_daily.day', '>=', 'bounds.range_from')
      .whereRef('acwr_daily.day', '<=', 'bounds.range_to')
      .where(sql<boolean>`bounds.range_to - bounds.range_from < ${MAX_RANGE_DAYS}`)
      .orderBy('acwr_daily.day')).as('days'))
    .executeTakeFirst()
}

export type SeriesRead<Day> = AcwrState & { days: Day[] }

export const readAcwrDays = (db: Database, athleteId: number, range: DayRange) =>
  readDays(db, athleteId, range, ['day', 'complete', 'external_load', 'external_acute', 'external_chronic', 'external_ratio',
    'internal_load', 'internal_acute', 'internal_chronic', 'internal_ratio', 'internal_coverage', 'divergence'])

type AcwrSeriesRead = NonNullable<Awaited<ReturnType<typeof readAcwrDays>>>
export type AcwrDay = AcwrSeriesRead['days'][number]
/** The athlete's settings and the resolved range, as every series read returns them beside its days. */
export type AcwrState = Omit<AcwrSeriesRead, 'days'>
