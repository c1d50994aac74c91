import type { FastifyBaseLogger } from 'fastify'
import { writeForAthlete } from '../db/athlete-writes.ts'
import { recomputeAcwrFrom } from '../acwr/engine.ts'
import { insertTokenEvents } from '../tokens/queries.ts'
import { accessTokenFor, DisconnectedError } from './access.ts'
import { AccessRejectedError, BudgetSpentError, StravaUnavailableError } from './api-client.ts'
import { removeQueuedSync } from './jobs.ts'
import { BACKFILL_RESET, upsertSyncState } from './queries.ts'
import type { SyncDependencies } from './sync.ts'

/**
 * Tells Strava to revoke the grant. The local deletion goes ahead whatever Strava answers:
 * an athlete who asked to disconnect must not keep their Strava data because Strava was down,
 * and with the tokens deleted this service can no longer use the grant anyway.
 */
async function deauthorizeAtStrava (deps: SyncDependencies, athleteId: number, log: FastifyBaseLogger): Promise<void> {
  try {
    await deps.api.deauthorize(await accessTokenFor(deps, athleteId))
  } catch (err) {
    const known = [DisconnectedError, AccessRejectedError, BudgetSpentError, StravaUnavailableError].some(type => err instanceof type)
    if (!known) throw err
    log.warn({ athleteId, reason: (err as Error).message }, 'Strava was not told of the disconnect')
  }
}

/**
 * Disconnects an athlete from Strava: in one transaction the tokens and every activity whose
 * source is `strava` are deleted and ACWR/PMC recomputed from the earliest day deleted; what
 * the athlete pushed or imported stays. The sync state says `disconnected` and the backfill
 * cursor is cleared, so a new connection backfills from the start. A 404 for an unknown athlete.
 */
export async function disconnectAthlete (deps: SyncDependencies, athleteId: number, options: { tellStrava: boolean, log: FastifyBaseLogger, reason: string }): Promise<{ activitiesDeleted: number }> {
  if (options.tellStrava) await deauthorizeAtStrava(deps, athleteId, options.log)
  const deleted = await writeForAthlete(deps.db, athleteId, async (trx, athlete) => {
    const removed = await trx.deleteFrom('activities')
      .where('athlete_id', '=', athleteId).where('source', '=', 'strava')
      .returning('day').execute()
    const tokens = await trx.deleteFrom('strava_tokens').where('athlete_id', '=', athleteId).returning('athlete_id').execute()
    await insertTokenEvents(trx, tokens.map(row => row.athlete_id), 'deleted', options.reason)
    await upsertSyncState(trx, athleteId, {
      state: 'disconnected', ...BACKFILL_RESET, activities_synced: 0, next_attempt_at: null, last_error: null
    })
    const earliest = removed.map(row => row.day).sort()[0]
    if (earliest) await recomputeAcwrFrom(trx, [athlete], earliest)
    return removed.length
  })
  await removeQueuedSync(deps.db, athleteId)
  return { activitiesDeleted: deleted }
}
