import { sql, type Selectable, type Updateable } from 'kysely'
import { anyOf } from '../db/batch.ts'
import type { Database } from '../db/database.ts'
import type { StravaSyncState } from '../db/types.ts'
import type { TokenStatus } from '../tokens/queries.ts'

export type SyncStateRow = Selectable<StravaSyncState>
export type SyncState = SyncStateRow['state']
export const SYNC_STATES = ['idle', 'queued', 'running', 'deferred', 'failed', 'disconnected'] as const satisfies readonly SyncState[]

export async function loadSyncState (db: Database, athleteId: number): Promise<SyncStateRow | undefined> {
  return db.selectFrom('strava_sync_state').selectAll().where('athlete_id', '=', athleteId).executeTakeFirst()
}

/** Sets the given fields of an athlete's sync state in one statement, creating the row when missing; returns the row. */
export async function upsertSyncState (db: Database, athleteId: number, changes: Updateable<StravaSyncState>): Promise<SyncStateRow> {
  const values = { ...changes, updated_at: sql<Date>`now()` }
  return db.insertInto('strava_sync_state')
    .values({ ...values, athlete_id: athleteId })
    .onConflict(oc => oc.column('athlete_id').doUpdateSet(values))
    .returningAll()
    .executeTakeFirstOrThrow()
}

/**
 * Marks athletes queued, except those whose sync is running: the queued job runs after it,
 * and the running one reports its own end.
 */
export async function markQueued (db: Database, athleteIds: number[]): Promise<void> {
  if (athleteIds.length === 0) return
  await db.insertInto('strava_sync_state')
    .columns(['athlete_id', 'state'])
    .expression(eb => eb.selectFrom(sql<{ id: number }>`unnest(${athleteIds}::bigint[])`.as(sql`given (id)`))
      .select(eb => ['given.id', eb.val('queued').as('state')]))
    .onConflict(oc => oc.column('athlete_id')
      .doUpdateSet({ state: 'queued', next_attempt_at: null, updated_at: sql`now()` })
      .where('strava_sync_state.state', '<>', 'running'))
    .execute()
}

/** The fields that start the backfill over: the next sync lists the whole history again, newest first. */
export const BACKFILL_RESET = { backfill_complete: false, backfill_before: null, backfill_pages: 0 } as const satisfies Updateable<StravaSyncState>

/** Where a backfill stands after a page: the pages written, below the bound fixed when it started. */
export interface BackfillCursor { backfillPages?: number, backfillBefore?: Date | string }

/** What the last write of a sync records besides its page: the backfill is complete, and the athlete rests idle. */
const SYNC_ENDED = { backfill_complete: true, state: 'idle', next_attempt_at: null, last_error: null } as const satisfies Updateable<StravaSyncState>

/**
 * After a page is written, in the page's transaction: the cursor moves only with the page, so
 * a process killed between the two neither skips nor repeats a page. `activities_synced` is
 * the athlete's Strava activities as stored, so a page synced twice counts once. With
 * `syncEnded`, the write is the sync's last, and its end is recorded in the same commit (or
 * alone, when the sync ends with nothing more to write).
 */
export async function recordPage (db: Database, athleteId: number, cursor: BackfillCursor, { syncEnded = false } = {}): Promise<void> {
  await db.updateTable('strava_sync_state')
    .set(eb => ({
      ...(cursor.backfillPages === undefined ? {} : { backfill_pages: cursor.backfillPages }),
      ...(cursor.backfillBefore === undefined ? {} : { backfill_before: cursor.backfillBefore }),
      ...(syncEnded ? SYNC_ENDED : {}),
      activities_synced: eb.selectFrom('activities').select(eb => eb.cast<number>(eb.fn.countAll(), 'integer').as('n'))
        .where('activities.athlete_id', '=', athleteId).where('activities.source', '=', 'strava'),
      last_synced_at: sql`now()`,
      updated_at: sql`now()`
    }))
    .where('athlete_id', '=', athleteId)
    .execute()
}

/** Counts of athletes by sync state; an athlete without a row has never been synced and counts as idle. */
export async function countSyncStates (db: Database): Promise<Record<SyncState, number>> {
  const rows = await db.selectFrom('athletes')
    .leftJoin('strava_sync_state', 'strava_sync_state.athlete_id', 'athletes.id')
    .select(eb => [eb.fn.coalesce('strava_sync_state.state', sql.lit('idle')).as('state'), eb.cast<number>(eb.fn.countAll(), 'integer').as('count')])
    .groupBy(eb => eb.fn.coalesce('strava_sync_state.state', sql.lit('idle')))
    .execute()
  const counts = Object.fromEntries(SYNC_STATES.map(state => [state, 0])) as Record<SyncState, number>
  for (const row of rows) counts[row.state as SyncState] = row.count
  return counts
}

/** Athletes whose Strava token is usable, among `athleteIds` (or all of them). */
export async function connectedAthletes (db: Database, athleteIds?: number[]): Promise<number[]> {
  let query = db.selectFrom('strava_tokens').select('athlete_id').where('status', '=', 'active')
  if (athleteIds) query = query.where('athlete_id', '=', anyOf(athleteIds))
  const rows = await query.orderBy('athlete_id').execute()
  return rows.map(row => row.athlete_id)
}

export async function tokenStatus (db: Database, athleteId: number): Promise<TokenStatus | undefined> {
  const row = await db.selectFrom('strava_tokens').select('status').where('athlete_id', '=', athleteId).executeTakeFirst()
  return row?.status
}
