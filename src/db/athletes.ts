import type { Selectable, Transaction } from 'kysely'
import { anyOf } from './batch.ts'
import type { Database } from './database.ts'
import type { Athletes, DB } from './types.ts'

// The athlete rows that every feature reads: the lock that serializes writes to one athlete's
// data, and plain lookups. They live below the features so that acwr, activities and athletes
// can all use them without importing one another in a circle.

export type AthleteRow = Selectable<Athletes>

/** What the ACWR engine and the load formulas need to know about a locked athlete. */
export type LockedAthlete = Pick<AthleteRow, 'id' | 'acwr_model' | 'sex' | 'resting_hr' | 'max_hr'>

/**
 * Locks the athletes' rows until the transaction ends, in id order so that two batches
 * cannot deadlock. Every write to an athlete's activities or ACWR series takes this lock
 * first, so concurrent ingests for one athlete run one after the other and leave the series
 * as a serial run would. `no key update` still lets other tables' foreign keys reference
 * the row meanwhile. Returns the athletes that exist.
 */
export async function lockAthletes (trx: Transaction<DB>, athleteIds: number[]): Promise<LockedAthlete[]> {
  return trx.selectFrom('athletes')
    .select(['id', 'acwr_model', 'sex', 'resting_hr', 'max_hr'])
    .where('id', '=', anyOf(athleteIds))
    .orderBy('id')
    .forNoKeyUpdate()
    .execute()
}

export async function findAthlete (db: Database, athleteId: number): Promise<AthleteRow | undefined> {
  return db.selectFrom('athletes').selectAll().where('id', '=', athleteId).executeTakeFirst()
}

export async function listAthleteIds (db: Database): Promise<number[]> {
  const rows = await db.selectFrom('athletes').select('id').orderBy('id').execute()
  return rows.map(row => row.id)
}
