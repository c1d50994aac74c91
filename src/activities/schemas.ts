import type { Selectable } from 'kysely'
import { Type, type Static } from 'typebox'
import type { Activities } from '../db/types.ts'
import { batchBodyLimit } from '../schemas/body-limits.ts'
import { AthleteParams, Day, DAY_PATTERN, Id, Nullable, Text } from '../schemas/common.ts'

// Strava's own start_date_local carries a "Z" although it is local wall-clock time, so a
// trailing Z is accepted and ignored. The `iso-date-time` format rejects days that do not
// exist, such as 2026-02-30, but lets a leap second through: PostgreSQL's timestamp rolls
// 23:59:60 over to the next day (9999-12-31T23:59:60 into year 10000), so the pattern
// allows seconds up to 59 only, and hours up to 23.
export const StartDateLocal = Type.String({
  format: 'iso-date-time',
  pattern: `^${DAY_PATTERN}T([01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(\\.\\d{1,6})?Z?$`,
  description: 'local date-time; its date is the activity\'s day',
  examples: ['2026-03-01T07:30:00']
})

// The bounds mirror the CHECKs on the activities table and leave room for multi-day efforts.
const Measures = {
  movingTimeS: Type.Integer({ minimum: 0, maximum: 1_209_600, description: 'moving time in seconds, at most 14 days' }),
  distanceM: Nullable(Type.Number({ minimum: 0, maximum: 5_000_000 })),
  elevationGainM: Nullable(Type.Number({ minimum: 0, maximum: 100_000 })),
  averageHeartrate: Nullable(Type.Number({ minimum: 20, maximum: 250 })),
  maxHeartrate: Nullable(Type.Number({ minimum: 20, maximum: 250 })),
  perceivedEffort: Nullable(Type.Integer({ minimum: 1, maximum: 10 })),
  name: Nullable(Text({ maxLength: 500 }))
}

export const ActivityInput = Type.Object({
  id: Id('Strava activity id'),
  sportType: Text({ minLength: 1, maxLength: 64, examples: ['Run'] }),
  startDateLocal: StartDateLocal,
  movingTimeS: Measures.movingTimeS,
  distanceM: Type.Optional(Measures.distanceM),
  elevationGainM: Type.Optional(Measures.elevationGainM),
  averageHeartrate: Type.Optional(Measures.averageHeartrate),
  maxHeartrate: Type.Optional(Measures.maxHeartrate),
  perceivedEffort: Type.Optional(Measures.perceivedEffort),
  name: Type.Optional(Measures.name)
}, { additionalProperties: false })
export type NewActivity = Static<typeof ActivityInput>

/** Where an activity's fields came from: pushed through the API, synced from Strava, or imported from the athlete's export. */
export type ActivitySource = Selectable<Activities>['source']
export const ACTIVITY_SOURCES = ['api', 'strava', 'import'] as const satisfies readonly ActivitySource[]

/**
 * Where an activity's local start time, and so its day, came from: the client that pushed
 * it, Strava's start_date_local, the zone of the activity file's first position, or the
 * athlete's timezone setting applied to the UTC start.
 */
export type LocalTimeBasis = NonNullable<Selectable<Activities>['local_time_basis']>

export const MAX_ACTIVITIES_PER_BATCH = 10_000

export const UpsertActivitiesBody = Type.Object({
  activities: Type.Array(ActivityInput, { maxItems: MAX_ACTIVITIES_PER_BATCH })
}, { additionalProperties: false })

/**
 * The largest valid activity as compact JSON (src/schemas/body-limits.ts says how it is
 * counted), key by key with its quotes, colon and comma:
 *   {"id":9007199254740991,                       1 + 5 + 16 + 1 =  23
 *   "sportType":"<64 characters>",               12 + 66 + 1      =  79
 *   "startDateLocal":"2026-03-01T07:30:00.123456Z",  17 + 29 + 1  =  47
 *   "movingTimeS":1209600,                       14 + 7 + 1       =  22
 *   "distanceM":<24>, "elevationGainM":<24>,     (12 + 25) + (17 + 25) = 79
 *   "averageHeartrate":123.45678901234567,       19 + 18 + 1      =  38
 *   "maxHeartrate":123.45678901234567,           15 + 18 + 1      =  34
 *   "perceivedEffort":10,                        18 + 2 + 1       =  21
 *   "name":"<500 characters>"}                   7 + 502 + 1      = 510
 *                                                                   853 bytes
 * 10,000 × (853 + 1) + 1,024 = 8,541,024 bytes, about 8.5 MB.
 */
export const LARGEST_ACTIVITY_BYTES = 853
export const UPSERT_ACTIVITIES_BODY_LIMIT = batchBodyLimit(MAX_ACTIVITIES_PER_BATCH, LARGEST_ACTIVITY_BYTES)

export const UpsertActivitiesReply = Type.Object({
  upserted: Type.Integer({ description: 'activities inserted or changed' }),
  recomputedFrom: Nullable(Day)
})

export const Activity = Type.Object({
  id: Type.Integer(),
  sportType: Type.String(),
  startDateLocal: Type.String(),
  day: Type.String(),
  movingTimeS: Nullable(Type.Integer({ description: 'null once the raw fields of a Strava activity have expired (STRAVA_DATA_RETENTION_DAYS)' })),
  distanceM: Measures.distanceM,
  elevationGainM: Measures.elevationGainM,
  averageHeartrate: Measures.averageHeartrate,
  maxHeartrate: Measures.maxHeartrate,
  perceivedEffort: Measures.perceivedEffort,
  name: Measures.name,
  externalLoad: Type.Number(),
  trimp: Nullable(Type.Number({ description: 'Banister TRIMP; null when the activity has no heart rate, so its internal load is unknown' })),
  source: Type.Enum(ACTIVITY_SOURCES, { description: 'api: pushed by a client; strava: synced from Strava; import: from the athlete\'s Strava export' })
})
export type ActivityView = Static<typeof Activity>

export const ActivityListQuery = Type.Object({
  from: Type.Optional(Day),
  to: Type.Optional(Day),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  cursor: Type.Optional(Type.String({ maxLength: 200, pattern: '^[A-Za-z0-9_-]+$', description: 'nextCursor of the previous page' }))
}, { additionalProperties: false })

/**
 * What a list cursor holds, base64url-encoded JSON: the last activity's start and id. A
 * decoded cursor is checked against the same bounds as an activity, so a crafted one (a day
 * that does not exist, a year past 9999) is a 400 before any query runs.
 */
export const ActivityCursor = Type.Tuple([StartDateLocal, Id('Strava activity id')])
export type ActivityCursorValue = Static<typeof ActivityCursor>

export const ActivityList = Type.Object({
  activities: Type.Array(Activity),
  nextCursor: Nullable(Type.String())
})

export const ActivityParams = Type.Object({
  ...AthleteParams.properties,
  activityId: Id('Strava activity id')
}, { additionalProperties: false })
