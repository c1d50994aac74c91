import { EventEmitter } from 'node:events'
import { run, type JobHelpers, type Task, type TaskList, type WorkerEvents } from 'graphile-worker'
import { sql } from 'kysely'
import pLimit from 'p-limit'
import pg from 'pg'
import { endWhenClosed, type Database } from '../db/database.ts'
import { JOB_SCHEMA, jobLogger } from '../db/job-schema.ts'

/**
 * The job engine is graphile-worker: jobs are rows in PostgreSQL, so a killed process or a
 * database restart loses none; workers take them with SKIP LOCKED, so any number of
 * instances share one queue. Its tables live in their own schema (src/db/job-schema.ts).
 *
 * Connections: the runner keeps one session for LISTEN (new jobs wake it at once) and up to
 * `concurrency` more for taking and finishing jobs, so it needs a direct connection
 * (JOBS_DATABASE_URL), not PgBouncer in transaction mode. Queuing a job is one function call,
 * `graphile_worker.add_job`, sent through the app's own pool, so it works through PgBouncer
 * and can share the transaction of the write that calls for it.
 *
 * One athlete's work runs one job at a time, across every instance, by a lock rather than a
 * named queue (see `oneAthleteAtATime`): graphile-worker takes a job of a named queue by locking
 * every free queue row at once, so two workers looking at the same moment find nothing but
 * each other's locks, and the loser sleeps until its next poll.
 */
export type SyncTask = 'strava-sync' | 'strava-activity' | 'strava-deauthorize'

/**
 * The key a waiting sync of the athlete is queued under. A full resync waits under a key of
 * its own: a later plain request (a webhook's, the schedule's, a job put back) replaces only
 * another plain one, so it can never drop a full request that is still waiting.
 */
const syncKeyPrefix = (full: boolean) => full ? 'strava-sync-full:' : 'strava-sync:'
export const syncJobKey = (athleteId: number, full = false) => `${syncKeyPrefix(full)}${athleteId}`
/** Both keys an athlete's waiting syncs can have. */
export const syncJobKeys = (athleteId: number) => [syncJobKey(athleteId), syncJobKey(athleteId, true)]

/**
 * Lower runs first: webhook events and recent-window syncs come before the pages of a
 * historical backfill when the rate budget is short.
 */
export const PRIORITY = { event: 0, recent: 5, backfill: 10 } as const

export interface SyncPayload { athleteId: number, full?: boolean }
export interface ActivityPayload { athleteId: number, activityId: number, aspect: 'create' | 'update' | 'delete' }

/**
 * Queues a sync of each athlete, in one statement. The job key keeps at most one waiting sync
 * of each kind (plain, full) per athlete: a second request replaces the waiting one of its
 * kind, and a request made while a sync runs queues one more after it.
 */
export async function queueSyncs (db: Database, athleteIds: number[], options: { full?: boolean, runAt?: Date, priority?: number } = {}): Promise<void> {
  if (athleteIds.length === 0) return
  await sql`select ${sql.raw(JOB_SCHEMA)}.add_job(
    'strava-sync', json_build_object('athleteId', given.id, 'full', ${options.full ?? false}::boolean),
    run_at => ${options.runAt?.toISOString() ?? null}::timestamptz,
    max_attempts => 8,
    job_key => ${syncKeyPrefix(options.full ?? false)} || given.id,
    priority => ${options.priority ?? PRIORITY.backfill}::int,
    job_key_mode => 'replace'
  ) from unnest(${athleteIds}::bigint[]) as given (id)`.execute(db)
}

export const queueSync = (db: Database, payload: SyncPayload, options: { runAt?: Date, priority?: number } = {}) =>
  queueSyncs(db, [payload.athleteId], { ...options, full: payload.full })

/** Queues the work of one webhook event, ahead of backfill pages. */
export async function queueAthleteTask (db: Database, task: Exclude<SyncTask, 'strava-sync'>, payload: ActivityPayload | { athleteId: number }): Promise<void> {
  await sql`select ${sql.raw(JOB_SCHEMA)}.add_job(
    ${task}, ${JSON.stringify(payload)}::json,
    max_attempts => 8,
    priority => ${PRIORITY.event}::int
  )`.execute(db)
}

/** Drops an athlete's waiting syncs, e.g. when they disconnect. A running job finishes and finds no token. */
export async function removeQueuedSync (db: Database, athleteId: number): Promise<void> {
  await sql`select ${sql.raw(JOB_SCHEMA)}.remove_job(key) from unnest(${syncJobKeys(athleteId)}::text[]) as key`.execute(db)
}

export interface WorkerOptions {
  connectionString: string
  concurrency: number
  taskList: TaskList
  log?: (message: string) => void
}

/**
 * A process that dies (SIGKILL, a crash, a lost machine) leaves its running jobs (and any
 * named queue they belong to) locked by its worker pool, and graphile-worker itself frees
 * such locks only after four hours: the athlete's sync would wait that long. So each runner's
 * pool holds a session advisory lock named after the pool's id for as long as it runs, taken
 * before the pool asks for its first job, and every runner frees, at its start and every
 * minute, the jobs of pools whose lock nobody holds: their process is gone. A freed sync job
 * runs again and resumes at the page after the last one written.
 */
const POOL_LOCK_CLASS = 0x7472_6c64 // "trld": the first key of pg_advisory_lock(int, int)
const ATHLETE_LOCK_CLASS = 0x7472_6c61 // "trla"
/** How soon a job that found its athlete busy runs again; the job holding the athlete is usually a few pages from its end. */
const ATHLETE_BUSY_DELAY_MS = 1000
const DEAD_POOL_SWEEP_MS = 60_000

/** Frees the jobs and queues locked by worker pools whose liveness lock is free; returns how many pools. */
async function freeJobsOfDeadPools (pool: pg.Pool): Promise<number> {
  // The try-lock is transaction-scoped: it succeeds only for a pool no live session holds, and
  // ends with the statement. The session holding this runner's own lock is not this one.
  const { rows: [row] } = await pool.query<{ pools: number }>(`
    select count(*)::int as pools, ${JOB_SCHEMA}.force_unlock_workers(array_agg(pool_id))
    from (select distinct locked_by as pool_id from ${JOB_SCHEMA}.jobs where locked_by is not null) as holders
    where pg_try_advisory_xact_lock($1, hashtext(pool_id))`, [POOL_LOCK_CLASS])
  return row?.pools ?? 0
}

const athleteOf = (payload: unknown) => {
  const athleteId = (payload as { athleteId?: unknown } | null)?.athleteId
  return typeof athleteId === 'number' ? athleteId : undefined
}

type LivenessSession = <Row extends pg.QueryResultRow>(text: string, values: unknown[]) => Promise<pg.QueryResult<Row>>

/**
 * The liveness session's queries, one at a time: the session is shared by every job of the
 * runner, and node-postgres deprecates sending a query while another is running.
 */
function livenessSession (client: pg.Client): LivenessSession {
  const oneAtATime = pLimit(1)
  return (text, values) => oneAtATime(() => client.query(text, values))
}

/**
 * Runs every job whose payload names an athlete while holding that athlete's lock: a session
 * advisory lock on the runner's liveness session, so it is held across instances and ends with
 * the process, like the jobs themselves. Within the process a set of held athletes guards it,
 * as a session may take its own advisory lock twice. A job that finds its athlete busy is put
 * back unchanged (same payload, priority and job key, fresh attempts since it did not run)
 * for a moment later, and ends.
 */
function oneAthleteAtATime (taskList: TaskList, liveness: LivenessSession): TaskList {
  const held = new Set<number>()
  const tryLock = async (athleteId: number) => {
    if (held.has(athleteId)) return false
    held.add(athleteId)
    const { rows: [row] } = await liveness<{ locked: boolean }>('select pg_try_advisory_lock($1, hashtext($2)) as locked', [ATHLETE_LOCK_CLASS, String(athleteId)])
      .catch((err: unknown) => { held.delete(athleteId); throw err })
    if (!row?.locked) held.delete(athleteId)
    return row?.locked === true
  }
  const unlock = async (athleteId: number) => {
    try {
      await liveness('select pg_advisory_unlock($1, hashtext($2))', [ATHLETE_LOCK_CLASS, String(athleteId)])
    } finally {
      held.delete(athleteId)
    }
  }
  const putBack = ({ job, addJob }: JobHelpers, payload: unknown) => addJob(job.task_identifier, payload, {
    runAt: new Date(Date.now() + ATHLETE_BUSY_DELAY_MS),
    priority: job.priority,
    maxAttempts: job.max_attempts,
    jobKey: job.key ?? undefined
  })
  const serialised = (task: Task): Task => async (payload, helpers) => {
    const athleteId = athleteOf(payload)
    if (athleteId === undefined) return task(payload, helpers)
    if (!await tryLock(athleteId)) {
      await putBack(helpers, payload)
      return
    }
    try {
      return await task(payload, helpers)
    } finally {
      await unlock(athleteId)
    }
  }
  return Object.fromEntries(Object.entries(taskList).map(([name, task]) => [name, serialised(task!)]))
}

/**
 * Sync workers running against this database, counted from the liveness locks their pools
 * hold (`startWorker`) for as long as they run. A lock taken with two int keys shows in
 * pg_locks as `classid` = the first key and `objsubid` = 2; the database filter leaves out
 * workers of other databases on the same server.
 */
export async function countLiveWorkers (db: Database): Promise<number> {
  const { rows: [row] } = await sql<{ workers: number }>`
    select count(*)::int as workers from pg_locks
    where locktype = 'advisory' and classid = ${POOL_LOCK_CLASS} and objsubid = 2 and granted
      and database = (select oid from pg_database where datname = current_database())`.execute(db)
  return row?.workers ?? 0
}

/**
 * Starts a runner in this process. It installs no signal handlers (the app's close stops it),
 * and polls every 2 s for jobs whose run time has come (deferred syncs, retries); new jobs
 * arrive through LISTEN without waiting for a poll.
 *
 * The runner gets a pool of ours rather than a connection string, so that `stop` ends it
 * once the runner has let go, before the embedded server stops: an idle connection left
 * open would be terminated by the server and surface as an unhandled error at shutdown.
 */
export async function startWorker ({ connectionString, concurrency, taskList, log }: WorkerOptions): Promise<{ stop: () => Promise<void> }> {
  const pool = new pg.Pool({ connectionString, max: concurrency + 2 })
  const endPool = endWhenClosed(pool)
  // As for the app's pool: a backend that dies errors on the pool while its client is idle,
  // on the client while a job holds it; unheard, either would end the process.
  const lost = (err: Error) => log?.(`job engine connection lost: ${err.message}`)
  pool.on('error', lost)
  pool.on('connect', client => client.on('error', lost))
  const liveness = new pg.Client({ connectionString })
  liveness.on('error', err => log?.(`job engine liveness session lost: ${err.message}`))
  await liveness.connect()
  const session = livenessSession(liveness)
  const events: WorkerEvents = new EventEmitter()
  const poolLocked = new Promise<string>(resolve => events.once('pool:create', ({ workerPool }) => resolve(workerPool.id)))
    .then(poolId => session('select pg_advisory_lock($1, hashtext($2))', [POOL_LOCK_CLASS, poolId]))
  const runner = await run({
    pgPool: pool,
    schema: JOB_SCHEMA,
    concurrency,
    noHandleSignals: true,
    pollInterval: 2000,
    logger: jobLogger(log),
    events,
    // Asked before every job: no job is taken before the pool's liveness lock is held.
    forbiddenFlags: () => poolLocked.then(() => null),
    taskList: oneAthleteAtATime(taskList, session),
    // Unbatched, graphile-worker records a job's end without waiting for it, and neither does
    // its stop: a job that ended during a stop asked for a connection that our pool's end then
    // never gave, so the job stayed locked and ran again once the sweep freed it. Batched, even
    // with no delay, the stop waits until every job's end is recorded.
    preset: { worker: { completeJobBatchDelay: 0, failJobBatchDelay: 0 } }
  })
  const sweep = () => freeJobsOfDeadPools(pool)
    .then(pools => { if (pools > 0) log?.(`freed the jobs of ${pools} worker pool(s) whose process is gone`) })
  try {
    await poolLocked
    await sweep()
  } catch (err) {
    await runner.stop()
    await Promise.all([endPool(), liveness.end()])
    throw err
  }
  const timer = setInterval(() => {
    sweep().catch(err => log?.(`freeing the jobs of dead worker pools failed: ${(err as Error).message}`))
  }, DEAD_POOL_SWEEP_MS).unref()
  return {
    async stop () {
      clearInterval(timer)
      await runner.stop()
      // The lock goes last: until the runner has stopped, its jobs are its own.
      await Promise.all([endPool(), liveness.end()])
    }
  }
}
