import { Type, type Static } from 'typebox'
import { Id, Nullable } from '../schemas/common.ts'
import { SYNC_STATES } from './queries.ts'

const Timestamp = Type.String({ format: 'date-time' })
const State = Type.Unsafe<typeof SYNC_STATES[number]>({ type: 'string', enum: [...SYNC_STATES] })

export const SyncRequestBody = Type.Object({
  full: Type.Optional(Type.Boolean({ description: 'list the whole history again instead of resuming' }))
}, { additionalProperties: false })

export const SyncQueuedReply = Type.Object({ state: State })

export const SyncStatusReply = Type.Object({
  state: State,
  backfillComplete: Type.Boolean(),
  activitiesSynced: Type.Integer({ description: 'the athlete\'s activities stored from Strava' }),
  lastSyncedAt: Nullable(Timestamp),
  nextAttemptAt: Nullable(Timestamp, { description: 'when a deferred sync is tried again' }),
  lastError: Nullable(Type.String())
})
export type SyncStatus = Static<typeof SyncStatusReply>

export const AdminSyncBody = Type.Object({
  athleteIds: Type.Optional(Type.Array(Id('trainload athlete id'), { minItems: 1, maxItems: 10_000, uniqueItems: true })),
  full: Type.Optional(Type.Boolean())
}, { additionalProperties: false })

export const AdminSyncReply = Type.Object({ queued: Type.Integer({ description: 'athletes queued: those named (or all) with a usable Strava token' }) })

const BudgetWindow = Type.Object({ limit: Type.Integer(), used: Type.Integer(), resetsAt: Timestamp })

export const FleetStatusReply = Type.Object({
  athletes: Type.Object(Object.fromEntries(SYNC_STATES.map(state => [state, Type.Integer()])) as Record<typeof SYNC_STATES[number], ReturnType<typeof Type.Integer>>),
  budget: Type.Object({ read15min: BudgetWindow, readDaily: BudgetWindow })
})

// Strava's check always says `subscribe`; a verify token is one the operator chose, printable
// ASCII without spaces, so anything else is refused as malformed before it is compared.
export const WebhookValidationQuery = Type.Object({
  'hub.mode': Type.Literal('subscribe'),
  'hub.challenge': Type.String({ minLength: 1, maxLength: 512, pattern: '^[\\x21-\\x7e]+$' }),
  'hub.verify_token': Type.String({ maxLength: 512, pattern: '^[\\x21-\\x7e]*$' })
})

export const WebhookValidationReply = Type.Object({ 'hub.challenge': Type.String() })

// Strava's payload, not trainload's: fields Strava may add later are accepted and ignored, so a
// change at Strava never turns every event into a 400 and a retry storm.
export const WebhookEventBody = Type.Object({
  object_type: Type.Union([Type.Literal('activity'), Type.Literal('athlete')]),
  object_id: Id('Strava activity or athlete id'),
  aspect_type: Type.Union([Type.Literal('create'), Type.Literal('update'), Type.Literal('delete')]),
  owner_id: Id('Strava athlete id'),
  subscription_id: Type.Integer({ minimum: 1 }),
  event_time: Type.Integer({ minimum: 0, maximum: 2 ** 40, description: 'epoch seconds' }),
  updates: Type.Optional(Type.Record(Type.String(), Type.Unknown()))
}, { additionalProperties: true })
export type WebhookEvent = Static<typeof WebhookEventBody>

export const WebhookEventReply = Type.Object({
  status: Type.Union([Type.Literal('queued'), Type.Literal('duplicate'), Type.Literal('ignored')])
})
