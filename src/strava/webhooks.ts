import type { Database } from '../db/database.ts'
import { queueAthleteTask } from './jobs.ts'
import type { WebhookEvent } from './schemas.ts'

export type WebhookOutcome = 'queued' | 'duplicate' | 'ignored'

/**
 * Records a Strava webhook event and queues its work, in one transaction: an event is either
 * recorded with its job or not at all. Events carry no signature, so only events of the
 * configured subscription and of known athletes are taken; a retried delivery repeats
 * (object_id, aspect_type, event_time) and is recognised as a duplicate. The work itself
 * (fetching the activity, deleting, disconnecting) runs in a job, never in the reply.
 */
export async function acceptWebhookEvent (db: Database, event: WebhookEvent, subscriptionId: number | undefined): Promise<WebhookOutcome> {
  if (subscriptionId !== undefined && event.subscription_id !== subscriptionId) return 'ignored'
  const deauthorized = event.object_type === 'athlete' && event.updates?.authorized === 'false'
  if (event.object_type === 'athlete' && !deauthorized) return 'ignored'
  return db.transaction().execute(async trx => {
    const athlete = await trx.selectFrom('athletes').select('id').where('strava_athlete_id', '=', event.owner_id).executeTakeFirst()
    if (!athlete) return 'ignored'
    const recorded = await trx.insertInto('strava_webhook_events')
      .values({
        object_id: event.object_id,
        aspect_type: event.aspect_type,
        event_time: event.event_time,
        object_type: event.object_type,
        owner_id: event.owner_id,
        athlete_id: athlete.id
      })
      .onConflict(oc => oc.columns(['object_id', 'aspect_type', 'event_time']).doNothing())
      .returning('object_id')
      .executeTakeFirst()
    if (!recorded) return 'duplicate'
    if (deauthorized) await queueAthleteTask(trx, 'strava-deauthorize', { athleteId: athlete.id })
    else await queueAthleteTask(trx, 'strava-activity', { athleteId: athlete.id, activityId: event.object_id, aspect: event.aspect_type })
    return 'queued'
  })
}

/** Strava retries an event for a few minutes at most; a day of events is plenty to recognise a retry. */
export async function pruneWebhookEvents (db: Database): Promise<number> {
  const rows = await db.deleteFrom('strava_webhook_events').where('received_at', '<', new Date(Date.now() - 86_400_000)).returning('object_id').execute()
  return rows.length
}
