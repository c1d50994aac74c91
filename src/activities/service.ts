import { httpErrors } from '@fastify/sensible'
import type { Transaction } from 'kysely'
import type { Database } from '../db/database.ts'
import type { DB } from '../db/types.ts'
import { findAthlete, type LockedAthlete } from '../db/athletes.ts'
import { writeForAthlete } from '../db/athlete-writes.ts'
import { recomputeAcwrFrom } from '../acwr/engine.ts'
import { externalLoad, trimp } from './loads.ts'
import { ATHLETE_WRITE_DEFAULTS } from '../config.ts'
import { compileStrictValidator } from '../validation.ts'
import { ActivityCursor, type ActivityCursorValue, type ActivitySource, type ActivityView, type LocalTimeBasis, type NewActivity } from './schemas.ts'
import {
  countActivities, deleteActivityRow, listActivityRows, listHeartRateActivities, updateTrimp, upsertActivityRows, type ActivityRow
} from './queries.ts'

function assertUniqueIds (items: NewActivity[]): void {
  const seen = new Set<number>()
  items.forEach((item, index) => {
    if (seen.has(item.id)) throw httpErrors.badRequest(`activities/${index}/id: activity id ${item.id} appears more than once in the batch`)
    seen.add(item.id)
  })
}

const heartRateProfile = (athlete: LockedAthlete) =>
  ({ sex: athlete.sex, restingHr: athlete.resting_hr, maxHr: athlete.max_hr })

/** An activity as an ingest caller has it: the API's fields, and what else its source knows about the start. */
export type IngestActivity = NewActivity & Pick<ActivityRow, 'startDate' | 'timezone' | 'localTimeBasis'>

export interface IngestCounts {
  inserted: number
  updated: number
  unchanged: number
  /** The day ACWR was recomputed from, or null when nothing changed. */
  recomputedFrom: string | null
}

/** What one athlete may store. */
export interface ActivityLimits {
  maxActivities: number
}

const DEFAULT_LIMITS: ActivityLimits = { maxActivities: ATHLETE_WRITE_DEFAULTS.MAX_ACTIVITIES_PER_ATHLETE }

/** A 409 when the batch took the athlete past the cap; thrown inside the transaction, it undoes the batch. */
async function assertWithinCap (trx: Transaction<DB>, athleteId: number, inserted: number, { maxActivities }: ActivityLimits): Promise<void> {
  if (inserted === 0) return
  const stored = await countActivities(trx, athleteId)
  if (stored <= maxActivities) return
  throw httpErrors.conflict(`activities: athlete ${athleteId} may store at most ${maxActivities} activities; ` +
    `this batch adds ${inserted} new ones to the ${stored - inserted} stored, so nothing was written`)
}

/** Where the local time of an activity comes from when its caller does not say. */
const DEFAULT_LOCAL_TIME_BASIS: Record<ActivitySource, LocalTimeBasis | null> = { api: 'client', strava: 'strava', import: null }

/**
 * Upserts a batch of one athlete's activities and brings their ACWR series up to date from
 * the earliest day the batch touched, in one transaction: all of it commits or none does.
 * `source` records who supplied the fields; the same id from another source is the same
 * activity, updated in place.
 */
export async function upsertActivities (db: Database, athleteId: number, items: NewActivity[], source: ActivitySource = 'api', limits = DEFAULT_LIMITS): Promise<{ upserted: number, recomputedFrom: string | null }> {
  assertUniqueIds(items)
  const counts = await writeForAthlete(db, athleteId, (trx, athlete) => ingestActivities(trx, athlete, items, source, limits))
  return { upserted: counts.upserted, recomputedFrom: counts.recomputedFrom }
}

/**
 * The batch path itself, for callers that already hold the athlete's lock in `trx`: one
 * batch, ids unique within it. See ingestActivityChunks.
 */
export async function ingestActivities (trx: Transaction<DB>, athlete: LockedAthlete, items: IngestActivity[], source: ActivitySource, limits = DEFAULT_LIMITS): Promise<IngestCounts & { upserted: number }> {
  const counts = await ingestActivityChunks(trx, athlete, [items], source, limits)
  return { ...counts, upserted: counts.inserted + counts.updated }
}

/**
 * Ingests any number of chunks, read one at a time so a long history never sits in memory
 * whole: loads computed once per activity, one upsert statement per chunk, and one ACWR
 * update at the end from the earliest day any chunk touched. Ids must be unique across the
 * chunks. The caller holds the athlete's lock in `trx`. Past the athlete's cap on stored
 * activities it throws a 409, which rolls the whole transaction back.
 */
export async function ingestActivityChunks (trx: Transaction<DB>, athlete: LockedAthlete, chunks: Iterable<IngestActivity[]> | AsyncIterable<IngestActivity[]>, source: ActivitySource, limits = DEFAULT_LIMITS): Promise<IngestCounts> {
  const profile = heartRateProfile(athlete)
  const totals = { inserted: 0, updated: 0, unchanged: 0 }
  let earliest: string | null = null
  for await (const items of chunks) {
    if (items.length === 0) continue
    const rows: ActivityRow[] = items.map(item => ({
      ...item,
      localTimeBasis: item.localTimeBasis ?? DEFAULT_LOCAL_TIME_BASIS[source],
      externalLoad: externalLoad(item),
      trimp: trimp(item.movingTimeS, item.averageHeartrate, profile)
    }))
    const { inserted, updated, unchanged, earliestDay } = await upsertActivityRows(trx, athlete.id, rows, source)
    totals.inserted += inserted
    totals.updated += updated
    totals.unchanged += unchanged
    if (earliestDay !== null && (earliest === null || earliestDay < earliest)) earliest = earliestDay
  }
  await assertWithinCap(trx, athlete.id, totals.inserted, limits)
  if (earliest !== null) await recomputeAcwrFrom(trx, [athlete], earliest)
  return { ...totals, recomputedFrom: earliest }
}

/** Deletes one activity and recomputes ACWR from its day; a 404 when it does not exist. */
export async function deleteActivity (db: Database, athleteId: number, activityId: number): Promise<void> {
  await writeForAthlete(db, athleteId, async (trx, athlete) => {
    const day = await deleteActivityRow(trx, athleteId, activityId)
    if (day === undefined) throw httpErrors.notFound(`activity ${activityId} not found`)
    await recomputeAcwrFrom(trx, [athlete], day)
  })
}

/**
 * After an athlete's sex or heart-rate settings change, rewrites the TRIMP of their
 * activities that have heart rate. The caller holds the athletes' locks and recomputes ACWR.
 */
export async function refreshTrimp (trx: Transaction<DB>, athletes: LockedAthlete[]): Promise<void> {
  const profiles = new Map(athletes.map(athlete => [athlete.id, heartRateProfile(athlete)]))
  const activities = await listHeartRateActivities(trx, [...profiles.keys()])
  const changed = activities
    .map(activity => ({ ...activity, trimp: trimp(activity.moving_time_s, activity.average_heartrate, profiles.get(activity.athlete_id)!) }))
    .filter((activity, index) => activity.trimp !== activities[index]!.trimp)
  await updateTrimp(trx, changed)
}

const encodeCursor = (activity: { startDateLocal: string, id: number }) =>
  Buffer.from(JSON.stringify([activity.startDateLocal, activity.id])).toString('base64url')

const isActivityCursor = compileStrictValidator<ActivityCursorValue>(ActivityCursor)

function decodeCursor (cursor: string): { startDateLocal: string, id: number } {
  let decoded: unknown
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {}
  if (!isActivityCursor(decoded)) throw httpErrors.badRequest('cursor: not a cursor this API returned')
  const [startDateLocal, id] = decoded
  return { startDateLocal, id }
}

/** One page of an athlete's activities, newest first, with the cursor of the next page or null. */
export async function listActivities (db: Database, athleteId: number, query: { from?: string, to?: string, limit: number, cursor?: string }): Promise<{ activities: ActivityView[], nextCursor: string | null }> {
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor)
  if (query.from !== undefined && query.to !== undefined && query.from > query.to) throw httpErrors.badRequest(`from: must not be after to (${query.to})`)
  if (!await findAthlete(db, athleteId)) throw httpErrors.notFound(`athlete ${athleteId} not found`)
  const rows = await listActivityRows(db, athleteId, { from: query.from, to: query.to, limit: query.limit, after })
  const activities = rows.slice(0, query.limit)
  const last = activities.at(-1)
  return { activities, nextCursor: rows.length > query.limit && last ? encodeCursor(last) : null }
}
