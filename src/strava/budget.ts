import { sql, type RawBuilder } from 'kysely'
import pLimit from 'p-limit'
import type { Database } from '../db/database.ts'

// Strava's windows are fixed on the clock: the 15-minute ones start at :00, :15, :30 and :45
// UTC, the daily one at midnight UTC (developers.strava.com/docs/rate-limits). A request
// over a limit is refused with a 429 and still counts against the day, so the budget is
// taken before a call, never after.

const QUARTER_MS = 15 * 60 * 1000

export const quarterStart = (at: Date) => new Date(Math.floor(at.getTime() / QUARTER_MS) * QUARTER_MS)
export const nextQuarter = (at: Date) => new Date(quarterStart(at).getTime() + QUARTER_MS)
export const nextMidnightUtc = (at: Date) => new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate() + 1))
const utcDay = (at: Date) => at.toISOString().slice(0, 10)

/** The budget row as a granted read left it, for the window the read was taken in. */
export interface BudgetAfterTake {
  read_limit_15min: number
  read_limit_daily: number
  overall_limit_15min: number
  overall_limit_daily: number
  read_used_15min: number
  read_used_daily: number
  overall_used_15min: number
  overall_used_daily: number
}

/** A take's answer: the reads granted (at least one) in `window`, or when to try again. */
export type BudgetGrant = { granted: true, window: Date, reads: number, after: BudgetAfterTake } | { granted: false, retryAt: Date }

/** Usage stated by one Strava response: `X-RateLimit-*` (overall) and `X-ReadRateLimit-*` (reads), each "15min,daily". */
export interface StatedUsage {
  overallLimit?: [number, number]
  overallUsage?: [number, number]
  readLimit?: [number, number]
  readUsage?: [number, number]
}

function pair (value: string | string[] | undefined): [number, number] | undefined {
  if (typeof value !== 'string') return undefined
  const parts = value?.split(',').map(part => Number(part.trim()))
  if (!parts || parts.length !== 2 || !parts.every(n => Number.isInteger(n) && n >= 0)) return undefined
  return parts as [number, number]
}

/** Reads the rate-limit headers from an answer's headers, whose names arrive lower-cased. */
export function statedUsage (headers: Record<string, string | string[] | undefined>): StatedUsage {
  return {
    overallLimit: pair(headers['x-ratelimit-limit']),
    overallUsage: pair(headers['x-ratelimit-usage']),
    readLimit: pair(headers['x-readratelimit-limit']),
    readUsage: pair(headers['x-readratelimit-usage'])
  }
}

/** The count of a window as of `window`: a stored count of an earlier window is 0 by now. */
const usedIn = (column: 'read_used_15min' | 'overall_used_15min' | 'read_used_daily' | 'overall_used_daily', window: Date) =>
  column.endsWith('15min')
    ? sql<number>`(case when window_15min_start = ${window.toISOString()}::timestamptz then ${sql.ref(column)} else 0 end)`
    : sql<number>`(case when window_day = ${utcDay(window)}::date then ${sql.ref(column)} else 0 end)`

const usable = (limit: string, reserve: number) => sql<number>`floor(${sql.ref(limit)} * ${1 - reserve}::float8)`

/** The reads left in the tightest of the four windows, under `limit × (1 − reserve)`. */
const roomLeft = (window: Date, reserve: number) => sql<number>`least(
    ${usable('read_limit_15min', reserve)} - ${usedIn('read_used_15min', window)},
    ${usable('overall_limit_15min', reserve)} - ${usedIn('overall_used_15min', window)},
    ${usable('read_limit_daily', reserve)} - ${usedIn('read_used_daily', window)},
    ${usable('overall_limit_daily', reserve)} - ${usedIn('overall_used_daily', window)})`

/**
 * A share of the room left that one take may hold ahead of its calls: near a limit each call
 * takes its own read, so reads held by one job and never used are not what refuses another.
 */
const HELD_SHARE_OF_ROOM = 100

/**
 * Takes up to `wanted` reads from the deployment's budget in one statement (at least one, and
 * at most a hundredth of the room left): the row lock serialises every instance, and the room
 * is read under it, so no take passes `limit × (1 − reserve)` in either window. A refusal says
 * when to try again: the next quarter hour, or midnight UTC when the day is spent.
 */
export async function takeReadBudget (db: Database, at: Date, reserve: number, wanted = 1): Promise<BudgetGrant> {
  const window = quarterStart(at)
  const reads = sql<number>`least(${wanted}::int, greatest(1, floor(room.left_reads / ${sql.lit(HELD_SHARE_OF_ROOM)}))::int)`
  const plus = (column: 'read_used_15min' | 'overall_used_15min' | 'read_used_daily' | 'overall_used_daily') => sql<number>`${usedIn(column, window)} + ${reads}`
  const taken = await db
    .with('room', db => db.selectFrom('strava_rate_budget').select(roomLeft(window, reserve).as('left_reads')).where('id', '=', 1).forUpdate())
    .updateTable('strava_rate_budget')
    .from('room')
    .set({
      read_used_15min: plus('read_used_15min'),
      overall_used_15min: plus('overall_used_15min'),
      read_used_daily: plus('read_used_daily'),
      overall_used_daily: plus('overall_used_daily'),
      window_15min_start: window.toISOString(),
      window_day: utcDay(window),
      updated_at: sql`now()`
    })
    .where('strava_rate_budget.id', '=', 1)
    .where('room.left_reads', '>=', 1)
    .returning(['read_limit_15min', 'read_limit_daily', 'overall_limit_15min', 'overall_limit_daily',
      'read_used_15min', 'read_used_daily', 'overall_used_15min', 'overall_used_daily', reads.as('reads')])
    .executeTakeFirst()
  if (taken) {
    const { reads: granted, ...after } = taken
    return { granted: true, window, reads: granted, after }
  }
  const dailySpent = await db.selectFrom('strava_rate_budget')
    .select(sql<boolean>`${usedIn('read_used_daily', window)} >= ${usable('read_limit_daily', reserve)}
      or ${usedIn('overall_used_daily', window)} >= ${usable('overall_limit_daily', reserve)}`.as('spent'))
    .where('id', '=', 1)
    .executeTakeFirst()
  return { granted: false, retryAt: dailySpent?.spent ? nextMidnightUtc(at) : nextQuarter(at) }
}

/**
 * Hands back `reads` taken in `window` and never used. Counts of a window that has ended are
 * left as they are, and a count never goes below 0. A stated count adopted since the take
 * (another deployment's calls) can leave the stored count that much low until the next answer
 * states it again.
 */
async function returnReads (db: Database, window: Date, reads: number): Promise<void> {
  const minus = (column: 'read_used_15min' | 'overall_used_15min' | 'read_used_daily' | 'overall_used_daily') => column.endsWith('15min')
    ? sql<number>`case when window_15min_start = ${window.toISOString()}::timestamptz then greatest(${sql.ref(column)} - ${reads}::int, 0) else ${sql.ref(column)} end`
    : sql<number>`case when window_day = ${utcDay(window)}::date then greatest(${sql.ref(column)} - ${reads}::int, 0) else ${sql.ref(column)} end`
  await db.updateTable('strava_rate_budget')
    .set({
      read_used_15min: minus('read_used_15min'),
      overall_used_15min: minus('overall_used_15min'),
      read_used_daily: minus('read_used_daily'),
      overall_used_daily: minus('overall_used_daily'),
      updated_at: sql`now()`
    })
    .where('id', '=', 1)
    .execute()
}

/** Where a Strava call takes its read from. */
export interface ReadBudget {
  take: () => Promise<BudgetGrant>
}

/**
 * The reads of one job, taken from the shared budget ahead of its calls: a first sync makes
 * about seven calls, and one take for all of them spares six round trips to the one row every
 * instance updates. `expected` is the job's most likely count; a job that needs more takes
 * again, and `release` hands back what it did not use. A process killed first leaves them
 * counted until the window ends, which errs on the side of the limit.
 */
export class ReadLease implements ReadBudget {
  private held: { window: Date, left: number, after: BudgetAfterTake } | undefined
  private used = 0
  // A job's calls come one at a time, but a second take racing the first would only hold more.
  private readonly oneAtATime = pLimit(1)

  constructor (private readonly db: Database, private readonly reserve: number, private readonly now: () => Date, private readonly expected: number) {}

  take (): Promise<BudgetGrant> {
    return this.oneAtATime(async () => {
      const at = this.now()
      const window = quarterStart(at)
      if (this.held && this.held.window.getTime() !== window.getTime()) await this.release()
      if (this.held && this.held.left > 0) {
        this.held.left--
        this.used++
        return { granted: true, window, reads: 1, after: this.held.after }
      }
      const grant = await takeReadBudget(this.db, at, this.reserve, Math.max(1, this.expected - this.used))
      if (grant.granted) {
        this.held = { window: grant.window, left: grant.reads - 1, after: grant.after }
        this.used++
      }
      return grant
    })
  }

  /** Hands back the reads taken and not used. */
  async release (): Promise<void> {
    const held = this.held
    this.held = undefined
    if (held && held.left > 0) await returnReads(this.db, held.window, held.left)
  }
}

/** A stated count for the window a request was sent in: adopted when higher, or when it opens a newer window. */
function adopt (column: 'read_used_15min' | 'overall_used_15min' | 'read_used_daily' | 'overall_used_daily', stated: number | undefined, window: Date): RawBuilder<number> {
  if (stated === undefined) return sql<number>`${sql.ref(column)}`
  const [stored, key] = column.endsWith('15min')
    ? [sql`window_15min_start`, sql`${window.toISOString()}::timestamptz`]
    : [sql`window_day`, sql`${utcDay(window)}::date`]
  return sql<number>`case when ${stored} = ${key} then greatest(${sql.ref(column)}, ${stated}::int)
    when ${stored} < ${key} then ${stated}::int else ${sql.ref(column)} end`
}

/**
 * Whether a response's stated usage would change the budget row. Within the window a read was
 * taken in, the stored counts only grow (a take adds one, a stated count is adopted only when
 * higher) and the limits change only by another stated limit, so a response that states the
 * limits the take saw and no count above the take's leaves the row as it is: storing it is a
 * round trip that writes nothing. This is the usual answer when this deployment is the client
 * id's only user, as every call was counted before it was sent.
 */
export function statesNewUsage (after: BudgetAfterTake, usage: StatedUsage): boolean {
  const differs = (stated: [number, number] | undefined, limits: [number, number]) =>
    stated !== undefined && (stated[0] !== limits[0] || stated[1] !== limits[1])
  const above = (stated: [number, number] | undefined, counts: [number, number]) =>
    stated !== undefined && (stated[0] > counts[0] || stated[1] > counts[1])
  return differs(usage.readLimit, [after.read_limit_15min, after.read_limit_daily]) ||
    differs(usage.overallLimit, [after.overall_limit_15min, after.overall_limit_daily]) ||
    above(usage.readUsage, [after.read_used_15min, after.read_used_daily]) ||
    above(usage.overallUsage, [after.overall_used_15min, after.overall_used_daily])
}

/**
 * Stores what a Strava response said of the limits and the usage, for the window the request
 * was sent in. Other applications' calls and other deployments sharing the client id show up
 * here, so the shared counters never fall behind Strava's own.
 */
export async function recordStatedUsage (db: Database, window: Date, usage: StatedUsage): Promise<void> {
  const { overallLimit, overallUsage, readLimit, readUsage } = usage
  if (!overallLimit && !overallUsage && !readLimit && !readUsage) return
  const limit = (column: 'read_limit_15min' | 'read_limit_daily' | 'overall_limit_15min' | 'overall_limit_daily', stated: number | undefined) =>
    stated === undefined ? sql<number>`${sql.ref(column)}` : sql<number>`${stated}::int`
  await db.updateTable('strava_rate_budget')
    .set({
      read_limit_15min: limit('read_limit_15min', readLimit?.[0]),
      read_limit_daily: limit('read_limit_daily', readLimit?.[1]),
      overall_limit_15min: limit('overall_limit_15min', overallLimit?.[0]),
      overall_limit_daily: limit('overall_limit_daily', overallLimit?.[1]),
      read_used_15min: adopt('read_used_15min', readUsage?.[0], window),
      read_used_daily: adopt('read_used_daily', readUsage?.[1], window),
      overall_used_15min: adopt('overall_used_15min', overallUsage?.[0], window),
      overall_used_daily: adopt('overall_used_daily', overallUsage?.[1], window),
      window_15min_start: sql`greatest(window_15min_start, ${window.toISOString()}::timestamptz)`,
      window_day: sql`greatest(window_day, ${utcDay(window)}::date)`,
      updated_at: sql`now()`
    })
    .where('id', '=', 1)
    .execute()
}

export interface BudgetWindow { limit: number, used: number, resetsAt: string }

/** The read budget as of `at`, for the status route. */
export async function readBudgetStatus (db: Database, at: Date): Promise<{ read15min: BudgetWindow, readDaily: BudgetWindow }> {
  const window = quarterStart(at)
  const row = await db.selectFrom('strava_rate_budget')
    .select(['read_limit_15min', 'read_limit_daily',
      usedIn('read_used_15min', window).as('used15'), usedIn('read_used_daily', window).as('usedDaily')])
    .where('id', '=', 1)
    .executeTakeFirstOrThrow()
  return {
    read15min: { limit: row.read_limit_15min, used: row.used15, resetsAt: nextQuarter(at).toISOString() },
    readDaily: { limit: row.read_limit_daily, used: row.usedDaily, resetsAt: nextMidnightUtc(at).toISOString() }
  }
}
