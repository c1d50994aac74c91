import { sql } from 'kysely'
import { ingestActivities } from '../activities/service.ts'
import { writeForAthlete } from '../db/athlete-writes.ts'
import { recomputeAcwrFrom } from '../acwr/engine.ts'
import { ingestActivityOf } from './activities.ts'
import { athleteAccess, type AccessDependencies, type AthleteAccess } from './access.ts'
import type { StravaActivity, StravaApi } from './api-client.ts'
import { loadSyncState, recordPage, upsertSyncState, type SyncStateRow } from './queries.ts'

export interface SyncDependencies extends AccessDependencies {
  api: StravaApi
  /** Days re-listed by the sync of an athlete whose backfill is complete. */
  reconcileDays: number
  /** Pages one job writes before it hands over to the next, so webhook work is not held up. */
  pagesPerJob?: number
  /** Strava's largest page. */
  perPage?: number
}

/** How a sync job ended: done, out of budget until `retryAt`, or more pages to go in a new job. */
export type SyncOutcome = { kind: 'complete' } | { kind: 'continue' } | { kind: 'deferred', retryAt: Date }

const DAY_S = 86_400
const epochS = (date: Date | string) => Math.floor(new Date(date).getTime() / 1000)

/** Strava's ids within a page are unique; a list that repeats one keeps its last copy. */
function ingestable (page: StravaActivity[]) {
  const byId = new Map(page.map(ingestActivityOf).filter(a => a !== null).map(a => [a.id, a]))
  return [...byId.values()]
}

/** Writes one page through the activities batch path, and moves the cursor in the same transaction. */
export async function writePage (deps: SyncDependencies, athleteId: number, page: StravaActivity[], cursor: { backfillPages?: number } = {}): Promise<void> {
  await writeForAthlete(deps.db, athleteId, async (trx, athlete) => {
    await ingestActivities(trx, athlete, ingestable(page), 'strava')
    await recordPage(trx, athleteId, cursor)
  })
}

/**
 * The whole history, newest first, below an upper bound fixed when the backfill started (so
 * activities added meanwhile do not shift the pages). A page may hold fewer than asked while
 * more follow: only an empty page ends it. Each page is written with its cursor, so a killed
 * job resumes at the next page.
 */
async function backfill (deps: SyncDependencies, access: AthleteAccess, state: SyncStateRow): Promise<SyncOutcome | undefined> {
  const athleteId = state.athlete_id
  const before = state.backfill_before ?? deps.now().toISOString()
  if (!state.backfill_before) await upsertSyncState(deps.db, [athleteId], { backfill_before: before })
  let pages = state.backfill_pages
  for (let n = 0; n < (deps.pagesPerJob ?? 20); n++) {
    const page = await access(token =>
      deps.api.listActivities(token, { before: epochS(before), page: pages + 1, perPage: deps.perPage ?? 200 }))
    if (page.length === 0) {
      await upsertSyncState(deps.db, [athleteId], { backfill_complete: true })
      return undefined
    }
    await writePage(deps, athleteId, page, { backfillPages: ++pages })
  }
  return { kind: 'continue' }
}

/**
 * Re-lists the window since `after` (epoch s) and writes it: edits Strava sends no webhook
 * for (heart rate, effort) arrive this way. A Strava activity of the window that the list no
 * longer holds was deleted or hidden there, and is deleted here, with ACWR recomputed.
 */
async function relistWindow (deps: SyncDependencies, access: AthleteAccess, athleteId: number, after: number): Promise<void> {
  const listed: number[] = []
  for (let page = 1; ; page++) {
    const items = await access(token => deps.api.listActivities(token, { after, page, perPage: deps.perPage ?? 200 }))
    if (items.length === 0) break
    await writePage(deps, athleteId, items)
    listed.push(...items.map(item => item.id))
  }
  await writeForAthlete(deps.db, athleteId, async (trx, athlete) => {
    const removed = await trx.deleteFrom('activities')
      .where('athlete_id', '=', athleteId).where('source', '=', 'strava')
      .where('start_date', '>', sql<Date>`to_timestamp(${after}::float8)`)
      .where('id', '<>', sql<number>`all(${listed}::bigint[])`)
      .returning('day')
      .execute()
    const earliest = removed.map(row => row.day).sort()[0]
    if (earliest) await recomputeAcwrFrom(trx, [athlete], earliest)
    await recordPage(trx, athleteId, {})
  })
}

/** Where the re-list starts: the reconcile window, or further back when the last sync is older. */
function relistFrom (deps: SyncDependencies, state: SyncStateRow): number {
  const windowStart = epochS(deps.now()) - deps.reconcileDays * DAY_S
  const since = state.backfill_complete && state.last_synced_at ? epochS(state.last_synced_at) - DAY_S : windowStart
  return Math.min(windowStart, since)
}

/**
 * One sync job: the backfill (resumed where it stopped) while it is incomplete, then the
 * recent window. Errors are the caller's: a spent budget (BudgetSpentError), a lost grant
 * (DisconnectedError), Strava unavailable.
 */
export async function syncAthlete (deps: SyncDependencies, athleteId: number): Promise<SyncOutcome> {
  await upsertSyncState(deps.db, [athleteId], {})
  let state = (await loadSyncState(deps.db, athleteId))!
  const access = athleteAccess(deps, athleteId)
  if (!state.backfill_complete) {
    const outcome = await backfill(deps, access, state)
    if (outcome) return outcome
    state = (await loadSyncState(deps.db, athleteId))!
  }
  await relistWindow(deps, access, athleteId, relistFrom(deps, state))
  return { kind: 'complete' }
}
