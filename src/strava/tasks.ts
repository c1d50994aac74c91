import type { FastifyBaseLogger } from 'fastify'
import type { JobHelpers, TaskList } from 'graphile-worker'
import { deleteActivityRow } from '../activities/queries.ts'
import { recomputeAcwrFrom } from '../acwr/engine.ts'
import { withAccess, DisconnectedError } from './access.ts'
import { BudgetSpentError } from './api-client.ts'
import { disconnectAthlete } from './disconnect.ts'
import { PRIORITY, queueSync, type ActivityPayload, type SyncPayload } from './jobs.ts'
import { BACKFILL_RESET, upsertSyncState } from './queries.ts'
import { retentionTask } from './retention.ts'
import { syncAthlete, writePage, writeSynced, type SyncDependencies, type SyncOutcome } from './sync.ts'

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err)).slice(0, 500)

/**
 * Stores how a sync job ended and queues what follows: the next pages now, or a retry when the
 * budget allows. A complete sync recorded its own end (idle) with its last write.
 */
async function settle (deps: SyncDependencies, athleteId: number, outcome: SyncOutcome): Promise<void> {
  if (outcome.kind === 'continue') {
    await upsertSyncState(deps.db, athleteId, { state: 'queued', next_attempt_at: null, last_error: null })
    await queueSync(deps.db, { athleteId }, { priority: PRIORITY.backfill })
  } else if (outcome.kind === 'deferred') {
    await upsertSyncState(deps.db, athleteId, { state: 'deferred', next_attempt_at: outcome.retryAt.toISOString(), last_error: null })
    await queueSync(deps.db, { athleteId }, { runAt: outcome.retryAt, priority: PRIORITY.recent })
  }
}

/**
 * One sync job of one athlete. A spent budget defers the rest; a lost grant marks the athlete
 * disconnected and ends the job; anything else is stored as `failed` and rethrown, so
 * graphile-worker retries the job with its exponential backoff.
 */
export async function runSyncJob (deps: SyncDependencies, payload: SyncPayload, firstAttempt = true): Promise<SyncOutcome | 'disconnected'> {
  const { athleteId } = payload
  const state = await upsertSyncState(deps.db, athleteId, { state: 'running', ...(payload.full && firstAttempt ? BACKFILL_RESET : {}) })
  let outcome: SyncOutcome
  try {
    outcome = await syncAthlete(deps, state)
  } catch (err) {
    if (err instanceof BudgetSpentError) {
      outcome = { kind: 'deferred', retryAt: err.retryAt }
    } else if (err instanceof DisconnectedError) {
      await upsertSyncState(deps.db, athleteId, { state: 'disconnected', next_attempt_at: null, last_error: errorText(err) })
      return 'disconnected'
    } else {
      await upsertSyncState(deps.db, athleteId, { state: 'failed', last_error: errorText(err) })
      throw err
    }
  }
  await settle(deps, athleteId, outcome)
  return outcome
}

/**
 * A webhook's activity event: create and update fetch the activity (with its detail fields)
 * and write it through the batch path; delete, or an activity Strava no longer shows, removes
 * the Strava copy. An athlete without a usable grant is skipped.
 */
export async function runActivityJob (deps: SyncDependencies, { athleteId, activityId, aspect }: ActivityPayload): Promise<void> {
  try {
    const activity = aspect === 'delete' ? null : await withAccess(deps, athleteId, token => deps.api.getActivity(token, activityId))
    if (activity) {
      await writePage(deps, athleteId, [activity])
      return
    }
    await writeSynced(deps, athleteId, async (trx, athlete) => {
      const source = await trx.selectFrom('activities').select('source').where('athlete_id', '=', athleteId).where('id', '=', activityId).executeTakeFirst()
      if (source?.source !== 'strava') return
      const day = await deleteActivityRow(trx, athleteId, activityId)
      if (day) await recomputeAcwrFrom(trx, [athlete], day)
    })
  } catch (err) {
    if (err instanceof DisconnectedError) return
    throw err
  }
}

/** The tasks this service's worker runs. A spent budget puts an event's job back for when the window opens. */
export function syncTaskList (deps: SyncDependencies, log: FastifyBaseLogger): TaskList {
  const deferrable = (run: (payload: never, helpers: JobHelpers) => Promise<void>) => async (payload: unknown, helpers: JobHelpers) => {
    try {
      await run(payload as never, helpers)
    } catch (err) {
      if (!(err instanceof BudgetSpentError)) throw err
      await helpers.addJob(helpers.job.task_identifier, payload, { runAt: err.retryAt, priority: PRIORITY.event })
    }
  }
  return {
    'strava-sync': async (payload, helpers) => {
      const outcome = await runSyncJob(deps, payload as SyncPayload, helpers.job.attempts <= 1)
      log.debug({ athleteId: (payload as SyncPayload).athleteId, outcome }, 'Strava sync job done')
    },
    'strava-activity': deferrable(async (payload: ActivityPayload) => runActivityJob(deps, payload)),
    'strava-deauthorize': async payload => {
      const { athleteId } = payload as { athleteId: number }
      await disconnectAthlete(deps, athleteId, { tellStrava: false, log, reason: 'Strava deauthorization event' }).catch(err => {
        // An athlete deleted since the event has nothing left to disconnect.
        if ((err as { statusCode?: number }).statusCode !== 404) throw err
      })
    },
    'strava-retention': retentionTask(deps.db, deps.now, log)
  }
}
