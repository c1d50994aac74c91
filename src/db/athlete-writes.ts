import { httpErrors } from '@fastify/sensible'
import { sql, type Transaction } from 'kysely'
import pLimit, { type LimitFunction } from 'p-limit'
import { ATHLETE_WRITE_DEFAULTS, type Config } from '../config.ts'
import { lockAthletes, type LockedAthlete } from './athletes.ts'
import type { Database } from './database.ts'
import { retryConflicts } from './retry.ts'
import type { DB } from './types.ts'

/** The configured limits; a setting left out takes the configuration's default. */
export type AthleteWriteSettings = Partial<Pick<Config, 'ATHLETE_WRITE_QUEUE_MAX' | 'DB_LOCK_TIMEOUT_MS'>>

/**
 * Seconds a client is told to wait when its athlete already has a full queue: the writes
 * ahead of it take a fraction of a second each in the benchmark, so a short wait drains it.
 */
export const ATHLETE_BUSY_RETRY_AFTER_S = 2

/**
 * One queue per athlete with writes in flight in this process, in front of the pool: an
 * athlete's writes run one at a time, and those waiting their turn hold no connection, so a
 * burst from one athlete costs the pool one connection, not one per request. The entry goes
 * when the athlete's last write ends, so the map holds only busy athletes.
 */
class AthleteWriteQueues {
  private readonly queues = new Map<number, { limit: LimitFunction, inFlight: number }>()

  constructor (private readonly maxInFlight: number) {}

  async run<T> (athleteId: number, task: () => Promise<T>): Promise<T> {
    const queue = this.queues.get(athleteId) ?? { limit: pLimit(1), inFlight: 0 }
    if (queue.inFlight >= this.maxInFlight) {
      throw httpErrors.createError(429,
        `athlete ${athleteId} has too many writes in flight (${this.maxInFlight}); retry in ${ATHLETE_BUSY_RETRY_AFTER_S} s`,
        { headers: { 'retry-after': String(ATHLETE_BUSY_RETRY_AFTER_S) } })
    }
    queue.inFlight++
    this.queues.set(athleteId, queue)
    try {
      return await queue.limit(task)
    } finally {
      if (--queue.inFlight === 0) this.queues.delete(athleteId)
    }
  }

  get busyAthletes (): number {
    return this.queues.size
  }
}

const configured = new WeakMap<Database, { queues: AthleteWriteQueues, lockTimeoutMs: number }>()

/** Sets how `db`'s athlete writes queue and wait; createDatabase calls it for every database it opens. */
export function configureAthleteWrites (db: Database, settings: AthleteWriteSettings): void {
  const { ATHLETE_WRITE_QUEUE_MAX, DB_LOCK_TIMEOUT_MS } = { ...ATHLETE_WRITE_DEFAULTS, ...settings }
  configured.set(db, { queues: new AthleteWriteQueues(ATHLETE_WRITE_QUEUE_MAX), lockTimeoutMs: DB_LOCK_TIMEOUT_MS })
}

function writesOf (db: Database) {
  if (!configured.has(db)) configureAthleteWrites(db, {})
  return configured.get(db)!
}

/** How many athletes have writes running or queued in this process on `db`. */
export const athletesWriting = (db: Database): number => writesOf(db).queues.busyAthletes

/**
 * The one way to write one athlete's data (activities, settings, the ACWR and PMC series):
 * waits its turn in the athlete's in-process queue (a 429 when it is full), then runs `work`
 * in a transaction holding the athlete's row lock, a 404 when the athlete does not exist.
 * The lock serializes writers across instances; `lock_timeout` bounds how long one waits for
 * another instance's writer, after which the caller gets a 503 with Retry-After. A deadlock
 * or serialization failure reruns the whole transaction a few times.
 */
export async function writeForAthlete<T> (db: Database, athleteId: number, work: (trx: Transaction<DB>, athlete: LockedAthlete) => Promise<T>): Promise<T> {
  const { queues, lockTimeoutMs } = writesOf(db)
  return queues.run(athleteId, () => retryConflicts(() => db.transaction().execute(async trx => {
    // SET LOCAL lasts until the transaction ends, so it is safe behind PgBouncer's transaction pooling.
    await sql`set local lock_timeout = ${sql.lit(lockTimeoutMs)}`.execute(trx)
    const [athlete] = await lockAthletes(trx, [athleteId])
    if (!athlete) throw httpErrors.notFound(`athlete ${athleteId} not found`)
    return work(trx, athlete)
  })))
}
