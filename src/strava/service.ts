import { httpErrors } from '@fastify/sensible'
import type { Database } from '../db/database.ts'
import { findAthlete } from '../db/athletes.ts'
import { anyOf } from '../db/batch.ts'
import { readBudgetStatus } from './budget.ts'
import { PRIORITY, queueSyncs } from './jobs.ts'
import { connectedAthletes, countSyncStates, loadSyncState, markQueued, tokenStatus, type SyncState, type SyncStateRow } from './queries.ts'
import type { SyncStatus } from './schemas.ts'

async function assertAthlete (db: Database, athleteId: number): Promise<void> {
  if (!await findAthlete(db, athleteId)) throw httpErrors.notFound(`athlete ${athleteId} not found`)
}

/**
 * Queues a sync of athletes who hold a usable token (a backfill while theirs is incomplete,
 * else the recent window) and marks them queued. Returns the athletes queued.
 */
export async function queueAthleteSyncs (db: Database, athleteIds: number[] | undefined, options: { full?: boolean } = {}): Promise<number[]> {
  const connected = await connectedAthletes(db, athleteIds)
  // One transaction, the state first: a worker sees the jobs only once it commits, so a sync
  // that runs at once and ends idle is never marked queued after it.
  await db.transaction().execute(async trx => {
    await markQueued(trx, connected)
    await queueSyncs(trx, connected, { full: options.full, priority: options.full ? PRIORITY.backfill : PRIORITY.recent })
  })
  return connected
}

/**
 * Queues a sync of exactly these athletes, or of none: unknown athletes, or athletes without a
 * usable Strava token, refuse the whole request (404 when any is unknown, else 409), all named.
 */
export async function queueNamedAthleteSyncs (db: Database, athleteIds: number[], options: { full?: boolean } = {}): Promise<number[]> {
  const ids = [...new Set(athleteIds)]
  const [known, connected] = await Promise.all([
    db.selectFrom('athletes').select('id').where('id', '=', anyOf(ids)).execute().then(rows => new Set(rows.map(row => row.id))),
    connectedAthletes(db, ids).then(rows => new Set(rows))
  ])
  const unknown = ids.filter(id => !known.has(id))
  const unconnected = ids.filter(id => known.has(id) && !connected.has(id))
  if (unknown.length === 0 && unconnected.length === 0) return queueAthleteSyncs(db, ids, options)
  const problems = [
    ...(unknown.length > 0 ? [`no athlete has id ${unknown.join(', ')}`] : []),
    ...(unconnected.length > 0 ? [`athlete ${unconnected.join(', ')} ${unconnected.length === 1 ? 'has' : 'have'} no usable Strava connection (never connected, or Strava rejected the token: they must connect at /auth/strava)`] : [])
  ]
  const message = `${problems.join('; ')}; nothing was queued`
  throw unknown.length > 0 ? httpErrors.notFound(message) : httpErrors.conflict(message)
}

/** Queues one athlete's sync: a 404 for an unknown athlete, a 409 when they have no usable Strava token. */
export async function requestSync (db: Database, athleteId: number, options: { full?: boolean }): Promise<{ state: SyncState }> {
  await assertAthlete(db, athleteId)
  const status = await tokenStatus(db, athleteId)
  if (status !== 'active') {
    throw httpErrors.conflict(status === 'invalid'
      ? `athlete ${athleteId}: Strava rejected their token; they must connect Strava again at /auth/strava`
      : `athlete ${athleteId} has not connected Strava; connect at /auth/strava first`)
  }
  await queueAthleteSyncs(db, [athleteId], options)
  return { state: (await loadSyncState(db, athleteId))!.state }
}

/** One athlete's sync state; an athlete never synced is idle, or disconnected when they hold no usable token. */
export async function syncStatus (db: Database, athleteId: number): Promise<SyncStatus> {
  await assertAthlete(db, athleteId)
  const row = await loadSyncState(db, athleteId)
  return describeSyncState(row, row?.state ?? (await tokenStatus(db, athleteId) === 'active' ? 'idle' : 'disconnected'))
}

/** A sync state row as the API shows it, in `state`: the row's, or what stands in for a missing row. */
export function describeSyncState (row: SyncStateRow | undefined, state: SyncState): SyncStatus {
  return {
    state,
    backfillComplete: row?.backfill_complete ?? false,
    activitiesSynced: row?.activities_synced ?? 0,
    lastSyncedAt: row?.last_synced_at ? new Date(row.last_synced_at).toISOString() : null,
    nextAttemptAt: row?.next_attempt_at ? new Date(row.next_attempt_at).toISOString() : null,
    lastError: row?.last_error ?? null
  }
}

export async function fleetStatus (db: Database, now: Date) {
  const [athletes, budget] = await Promise.all([countSyncStates(db), readBudgetStatus(db, now)])
  return { athletes, budget }
}
