import { sql, type Transaction } from 'kysely'
import type { LimitFunction } from 'p-limit'
import type { LockedAthlete } from '../db/athletes.ts'
import type { DB } from '../db/types.ts'
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
  /**
   * The writes of sync jobs at once in this process (see `writeSynced`): the runner takes
   * more jobs than Strava calls, and this keeps the pool connections they hold in writes
   * to as many as calls.
   */
  writeSlots: LimitFunction
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

/**
 * One sync write of the athlete's data, within the sync's write slots: writeForAthlete (the
 * athlete's queue, transaction and row lock) once a slot is free.
 */
export function writeSynced<T> (deps: SyncDependencies, athleteId: number, work: (trx: Transaction<DB>, athlete: LockedAthlete) => Promise<T>): Promise<T> {
  return deps.writeSlots(() => writeForAthlete(deps.db, athleteId, work))
}

/** Pages the sync writes in one transaction at most: 1,000 activities, a tenth of what `PUT /activities` takes at once. */
export const MAX_PAGES_PER_WRITE = 5

/**
 * Writes listed activities through the activities batch path (one upsert, one ACWR and PMC
 * update) and moves the cursor in the same transaction; when `endsSync` says so, the sync's
 * end too. It is asked last, just before the cursor is stored, so that an end learnt while
 * the activities were written goes in with them. Returns whether the end was recorded.
 */
export async function writePage (deps: SyncDependencies, athleteId: number, items: StravaActivity[], cursor: BackfillCursor = {}, endsSync = () => false): Promise<boolean> {
  const activities = ingestable(items)
  return writeSynced(deps, athleteId, async (trx, athlete) => {
    await ingestActivities(trx, athlete, activities, 'strava')
    const syncEnded = endsSync()
    await recordPage(trx, athleteId, cursor, { syncEnded })
    return syncEnded
  })
}

/** Pages listed and written together: their activities, the number of the last, and whether the list is known to end with them by now. */
interface PageGroup {
  items: StravaActivity[]
  lastPage: number
  /** Asked as late as the write can use it: the empty page may come while the group is written. */
  ended: () => boolean
}

/** A wake-up for the one side waiting on the other; the waiter re-checks its condition after each. */
function wakeup () {
  let wake = () => {}
  return { wait: () => new Promise<void>(resolve => { wake = resolve }), wake: () => wake() }
}

/**
 * Lists pages `first`, `first + 1`, ... one request at a time until an empty page or `last`,
 * while writing what has been listed, in groups of up to MAX_PAGES_PER_WRITE pages. Most of
 * a write's cost is the ACWR and PMC update it ends with, from its oldest day through today,
 * which costs the same for one page as for five; and a backfill goes newest first, so each
 * write recomputes the days of every write before it. So a write waits for a whole group,
 * unless the list is over or its newest page is short (fewer than `pageSize` items), which
 * is nearly always the last: then what is waiting is written while the empty page that
 * confirms the end is asked for. Listing stays at most MAX_PAGES_PER_WRITE pages ahead of
 * the writes. Groups are written in page order, so a cursor stored with a group means every
 * page before it is stored too. A write that learns in time that the empty page came and
 * no page is waiting behind its group (`ended`) records the end with it and returns true;
 * when that page comes later, a last group without pages carries the end. `holdLast` keeps
 * the newest page back until the end is known, so a list of one page costs one write, not
 * two. A failed listing still writes what it listed, then throws; a failed write stops the
 * listing. Returns whether an empty page ended the list.
 */
async function listAndWrite (
  list: (page: number) => Promise<StravaActivity[]>, first: number, last: number,
  write: (group: PageGroup) => Promise<boolean>, { pageSize, holdLast = false }: { pageSize: number, holdLast?: boolean }
): Promise<boolean> {
  const waiting: StravaActivity[][] = []
  // Shared by the two sides: the lister sets `ended`, `done` and `error`; the writer, `stopped`.
  const listing = { ended: false, done: false, error: undefined as unknown, stopped: false }
  const pagesIn = wakeup()
  const roomFreed = wakeup()
  const lister = (async () => {
    try {
      for (let page = first; page <= last; page++) {
        while (waiting.length >= MAX_PAGES_PER_WRITE && !listing.stopped) await roomFreed.wait()
        if (listing.stopped) return
        const items = await list(page)
        if (items.length === 0) {
          listing.ended = true
          return
        }
        waiting.push(items)
        pagesIn.wake()
      }
    } catch (err) {
      listing.error = err
    } finally {
      listing.done = true
      pagesIn.wake()
    }
  })()
  const ready = () => {
    if (listing.done) return waiting.length
    const newestShort = !holdLast && waiting.length > 0 && waiting[waiting.length - 1]!.length < pageSize
    if (waiting.length < MAX_PAGES_PER_WRITE && !newestShort) return 0
    return holdLast ? waiting.length - 1 : waiting.length
  }
  let written = first - 1
  try {
    for (;;) {
      while (ready() <= 0 && !listing.done) await pagesIn.wait()
      if (ready() <= 0) break
      const pages = waiting.splice(0, ready())
      roomFreed.wake()
      written += pages.length
      // Ended for this group only when no page listed since waits behind it.
      if (await write({ items: pages.flat(), lastPage: written, ended: () => listing.ended && waiting.length === 0 })) return true
    }
    if (listing.error !== undefined) throw listing.error
    if (listing.ended) await write({ items: [], lastPage: written, ended: () => true })
    return listing.ended
  } catch (err) {
    listing.stopped = true
    roomFreed.wake()
    await lister
    throw err
  }
}

/**
 * The whole history, newest first, below an upper bound fixed when the backfill started (so
 * activities added meanwhile do not shift the pages). A page may hold fewer than asked while
 * more follow: only an empty page ends it. Each group of pages is written with its cursor, so
 * a killed job resumes at the next page. When the sync re-lists nothing after it, the last
 * write records its end.
 */
async function backfill (deps: SyncDependencies, access: AthleteAccess, reads: ReadBudget, state: SyncStateRow, { endsSync }: { endsSync: boolean }): Promise<SyncOutcome | undefined> {
  const athleteId = state.athlete_id
  // Stored with each page written, so a backfill that has written none yet has nothing to resume.
  const before = state.backfill_before ?? deps.now().toISOString()
  const done = state.backfill_pages
  const perPage = deps.perPage ?? PER_PAGE
  const ended = await listAndWrite(
    page => access(token => deps.api.listActivities(token, { before: epochS(before), page, perPage }, reads)),
    done + 1, done + (deps.pagesPerJob ?? PAGES_PER_JOB),
    async ({ items, lastPage, ended }) => {
      // An end found after the last write changes nothing here when the re-list records it.
      if (items.length === 0 && !endsSync) return true
      return writePage(deps, athleteId, items, { backfillPages: lastPage, backfillBefore: before }, () => endsSync && ended())
    },
    { pageSize: perPage })
  // An ended backfill followed by a re-list is recorded complete by the re-list's last write:
  // should that fail, the next job asks for the empty page once more, then re-lists.
  return ended ? undefined : { kind: 'continue' }
}

/**
 * Re-lists the window since `after` (epoch s) and writes it: edits Strava sends no webhook
 * for (heart rate, effort) arrive this way. A Strava activity of the window that the list no
 * longer holds was deleted or hidden there, and is deleted here, with ACWR recomputed. The
 * newest pages are held back until the list is known to end, and written with the deletions
 * and the end of the sync (backfill complete, idle) in one transaction: a usual window of one
 * page costs one write.
 */
async function relistWindow (deps: SyncDependencies, access: AthleteAccess, reads: ReadBudget, athleteId: number, after: number): Promise<void> {
  const listed: number[] = []
  const perPage = deps.perPage ?? PER_PAGE
  await listAndWrite(
    page => access(token => deps.api.listActivities(token, { after, page, perPage }, reads)),
    1, Infinity,
    async ({ items, ended }) => {
      listed.push(...items.map(item => item.id))
      if (!ended()) return writePage(deps, athleteId, items)
      await writeSynced(deps, athleteId, async (trx, athlete) => {
        const removed = await trx.deleteFrom('activities')
          .where('athlete_id', '=', athleteId).where('source', '=', 'strava')
          .where('start_date', '>', sql<Date>`to_timestamp(${after}::float8)`)
          .where('id', '<>', sql<number>`all(${listed}::bigint[])`)
          .returning('day')
          .execute()
        const earliestRemoved = removed.map(row => row.day).sort()[0]
        const { recomputedFrom } = await ingestActivities(trx, athlete, ingestable(items), 'strava')
        // The write recomputed from its own earliest change; a removal before it needs the days between too.
        if (earliestRemoved && (recomputedFrom === null || earliestRemoved < recomputedFrom)) await recomputeAcwrFrom(trx, [athlete], earliestRemoved)
        await recordPage(trx, athleteId, {}, { syncEnded: true })
      })
      return true
    },
    { pageSize: perPage, holdLast: true })
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
      const outcome = await backfill(deps, access, reads, state, { endsSync: !relist })
      if (outcome) return outcome
    }
    if (relist) await relistWindow(deps, access, reads, athleteId, relistFrom(deps, state))
    return { kind: 'complete' }
  } finally {
    // Reads not handed back stay counted until their window ends: the safe side of the limit.
    await reads.release().catch(() => {})
  }
}
