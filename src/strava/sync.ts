import { sql } from 'kysely'
import { ingestActivities } from '../activities/service.ts'
import { writeForAthlete } from '../db/athlete-writes.ts'
import { recomputeAcwrFrom } from '../acwr/engine.ts'
import { ingestActivityOf } from './activities.ts'
import { athleteAccess, type AccessDependencies, type AthleteAccess } from './access.ts'
import type { StravaActivity, StravaApi } from './api-client.ts'
import type { ReadBudget } from './budget.ts'
import { recordPage, type BackfillCursor, type SyncStateRow } from './queries.ts'

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
const PAGES_PER_JOB = 20
const PER_PAGE = 200
/** The calls of a usual re-list: one page of the window, and the empty page that ends it. */
const RELIST_CALLS = 2
const epochS = (date: Date | string) => Math.floor(new Date(date).getTime() / 1000)

/** Strava's ids within a page are unique; a list that repeats one keeps its last copy. */
function ingestable (page: StravaActivity[]) {
  const byId = new Map(page.map(ingestActivityOf).filter(a => a !== null).map(a => [a.id, a]))
  return [...byId.values()]
}

/** Writes one page through the activities batch path, and moves the cursor in the same transaction. */
export async function writePage (deps: SyncDependencies, athleteId: number, page: StravaActivity[], cursor: BackfillCursor = {}): Promise<void> {
  await writeForAthlete(deps.db, athleteId, async (trx, athlete) => {
    await ingestActivities(trx, athlete, ingestable(page), 'strava')
    await recordPage(trx, athleteId, cursor)
  })
}

/**
 * Lists pages `first`, `first + 1`, ... and writes each in turn until an empty page or `last`.
 * The next page is asked for while the current one is written, never more than one ahead:
 * pages are still written in order, so a cursor stored with a page means every page before
 * it is stored too. Returns whether an empty page ended the list.
 */
async function listAndWrite (list: (page: number) => Promise<StravaActivity[]>, first: number, last: number, write: (items: StravaActivity[], page: number) => Promise<void>): Promise<boolean> {
  let next = list(first)
  for (let page = first; ; page++) {
    const items = await next
    if (items.length === 0) return true
    const ahead = page < last ? list(page + 1) : undefined
    // Awaited on the next turn; a write that fails first must not leave it an unhandled rejection.
    ahead?.catch(() => {})
    await write(items, page)
    if (!ahead) return false
    next = ahead
  }
}

/**
 * The whole history, newest first, below an upper bound fixed when the backfill started (so
 * activities added meanwhile do not shift the pages). A page may hold fewer than asked while
 * more follow: only an empty page ends it. Each page is written with its cursor, so a killed
 * job resumes at the next page.
 */
async function backfill (deps: SyncDependencies, access: AthleteAccess, reads: ReadBudget, state: SyncStateRow): Promise<SyncOutcome | undefined> {
  const athleteId = state.athlete_id
  // Stored with each page written, so a backfill that has written none yet has nothing to resume.
  const before = state.backfill_before ?? deps.now().toISOString()
  const done = state.backfill_pages
  const ended = await listAndWrite(
    page => access(token => deps.api.listActivities(token, { before: epochS(before), page, perPage: deps.perPage ?? PER_PAGE }, reads)),
    done + 1, done + (deps.pagesPerJob ?? PAGES_PER_JOB),
    (items, page) => writePage(deps, athleteId, items, { backfillPages: page, backfillBefore: before }))
  // An ended backfill is recorded complete after it, by the re-list's last write when there is
  // one: should that fail, the next job asks for the empty page once more, then re-lists.
  return ended ? undefined : { kind: 'continue' }
}

/**
 * Re-lists the window since `after` (epoch s) and writes it: edits Strava sends no webhook
 * for (heart rate, effort) arrive this way. A Strava activity of the window that the list no
 * longer holds was deleted or hidden there, and is deleted here, with ACWR recomputed. Each
 * page is written once the next one is known to follow, so the last one is written with the
 * deletions and the end of the sync (backfill complete, idle) in one transaction: a usual
 * window of one page costs one write, not three.
 */
async function relistWindow (deps: SyncDependencies, access: AthleteAccess, reads: ReadBudget, athleteId: number, after: number): Promise<void> {
  const listed: number[] = []
  let last: StravaActivity[] = []
  await listAndWrite(
    page => access(token => deps.api.listActivities(token, { after, page, perPage: deps.perPage ?? PER_PAGE }, reads)),
    1, Infinity,
    async items => {
      if (last.length > 0) await writePage(deps, athleteId, last)
      last = items
      listed.push(...items.map(item => item.id))
    })
  await writeForAthlete(deps.db, athleteId, async (trx, athlete) => {
    const removed = await trx.deleteFrom('activities')
      .where('athlete_id', '=', athleteId).where('source', '=', 'strava')
      .where('start_date', '>', sql<Date>`to_timestamp(${after}::float8)`)
      .where('id', '<>', sql<number>`all(${listed}::bigint[])`)
      .returning('day')
      .execute()
    const earliestRemoved = removed.map(row => row.day).sort()[0]
    const { recomputedFrom } = await ingestActivities(trx, athlete, ingestable(last), 'strava')
    // The write recomputed from its own earliest change; a removal before it needs the days between too.
    if (earliestRemoved && (recomputedFrom === null || earliestRemoved < recomputedFrom)) await recomputeAcwrFrom(trx, [athlete], earliestRemoved)
    await recordPage(trx, athleteId, {}, { syncEnded: true })
  })
}

/** Where the re-list starts: the reconcile window, or further back when the last sync is older. */
function relistFrom (deps: SyncDependencies, state: SyncStateRow): number {
  const windowStart = epochS(deps.now()) - deps.reconcileDays * DAY_S
  const since = state.backfill_complete && state.last_synced_at ? epochS(state.last_synced_at) - DAY_S : windowStart
  return Math.min(windowStart, since)
}

/**
 * A backfill that started in this job, for an athlete with nothing from Strava stored, has
 * just listed the whole window itself and has nothing to delete: re-listing it would spend
 * two more reads per athlete (of Strava's 1,000 a day) to learn nothing. A backfill resumed
 * by a later job, or a full resync over stored activities, re-lists the window for what
 * changed in between. What is uploaded meanwhile arrives by webhook or the next reconcile.
 */
const relistNeeded = (state: SyncStateRow) =>
  state.backfill_complete || state.backfill_pages > 0 || state.activities_synced > 0

/**
 * One sync job, from the athlete's row of sync state as the job found it: the backfill
 * (resumed where it stopped) while it is incomplete, then the recent window when it is
 * needed, with the job's reads taken ahead. Errors are the caller's: a spent budget
 * (BudgetSpentError), a lost grant (DisconnectedError), Strava unavailable.
 */
export async function syncAthlete (deps: SyncDependencies, state: SyncStateRow): Promise<SyncOutcome> {
  const athleteId = state.athlete_id
  const access = athleteAccess(deps, athleteId)
  const relist = relistNeeded(state)
  // A backfill job lists up to its pages and the empty page that ends them, then the window if needed.
  const reads = deps.api.leaseReads((state.backfill_complete ? 0 : (deps.pagesPerJob ?? PAGES_PER_JOB) + 1) + (relist ? RELIST_CALLS : 0))
  try {
    if (!state.backfill_complete) {
      // The state as it was before the backfill still says where the re-list starts: the
      // reconcile window, as for any backfill that has just ended.
      const outcome = await backfill(deps, access, reads, state)
      if (outcome) return outcome
    }
    if (relist) await relistWindow(deps, access, reads, athleteId, relistFrom(deps, state))
    else await recordPage(deps.db, athleteId, {}, { syncEnded: true })
    return { kind: 'complete' }
  } finally {
    // Reads not handed back stay counted until their window ends: the safe side of the limit.
    await reads.release().catch(() => {})
  }
}
