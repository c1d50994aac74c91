import { Type } from 'typebox'
import { batchBodyLimit } from '../schemas/body-limits.ts'
import { Day, Id, Nullable } from '../schemas/common.ts'
import { ACWR_MODELS } from './models.ts'
import { ZONES } from './zones.ts'

export const MAX_RANGE_DAYS = 3660
export const DEFAULT_RANGE_DAYS = 90

export const AcwrQuery = Type.Object({
  from: Type.Optional(Day),
  to: Type.Optional(Day)
}, { additionalProperties: false })

const LoadValues = Type.Object({
  load: Type.Number(),
  acute: Type.Number(),
  chronic: Type.Number(),
  ratio: Nullable(Type.Number({ description: 'acute / chronic; null when chronic is 0' }))
})

const InternalLoadValues = Type.Object({
  load: Nullable(Type.Number({ description: 'the day\'s TRIMP; null when an activity of the day has no heart rate' })),
  acute: Nullable(Type.Number({ description: 'mean over the acute window\'s known days; null when none is known' })),
  chronic: Nullable(Type.Number({ description: 'mean over the chronic window\'s known days; null when none is known' })),
  ratio: Nullable(Type.Number({ description: 'acute / chronic; null when chronic is 0 or null, or when less than 2/3 of either window is known' })),
  coverage: Type.Number({ minimum: 0, maximum: 1, description: 'the share of the chronic window\'s days whose internal load is known (docs/science.md)' })
})

export const AcwrDay = Type.Object({
  date: Day,
  complete: Type.Boolean({ description: 'the chronic window is full' }),
  external: LoadValues,
  internal: InternalLoadValues,
  divergence: Nullable(Type.Number({ description: '(external − internal ratio) / their mean; null when either ratio is null' }))
})

export const AcwrSeries = Type.Object({
  athleteId: Type.Integer(),
  model: Type.Enum(ACWR_MODELS),
  acuteDays: Type.Integer(),
  chronicDays: Type.Integer(),
  decayRate: Type.Number(),
  days: Type.Array(AcwrDay, { description: 'ascending, one entry per calendar day from the first activity through today' })
})

export const Zone = Type.Enum(ZONES, {
  description: 'from the external ratio and the model\'s bands; insufficient-data while the ratio is null, the chronic window incomplete or the chronic load below 0.1 (docs/science.md)'
})

export const Bands = Type.Object({
  low: Type.Number({ description: 'below it: low' }),
  high: Type.Number({ description: 'from low up to it: optimal' }),
  danger: Type.Number({ description: 'from high up to it: high; above it: danger' })
}, { description: 'the ratio thresholds for the athlete\'s model and windows' })

export const AcwrLatest = Type.Object({
  ...AcwrDay.properties,
  zone: Zone,
  bands: Bands
})

const MAX_RECALCULATE_ATHLETE_IDS = 100_000

export const RecalculateBody = Nullable(Type.Object({
  athleteIds: Type.Optional(Type.Array(Id('athlete id'), { minItems: 1, maxItems: MAX_RECALCULATE_ATHLETE_IDS })),
  from: Type.Optional(Day)
}, { additionalProperties: false }))

/**
 * Up to 100,000 ids of at most 16 digits each with their commas; the rest,
 * {"athleteIds":[],"from":"2026-01-01"}, is 37 bytes of the slack:
 * 100,000 × (16 + 1) + 1,024 = 1,701,024 bytes, about 1.7 MB.
 */
export const RECALCULATE_BODY_LIMIT = batchBodyLimit(MAX_RECALCULATE_ATHLETE_IDS, String(Number.MAX_SAFE_INTEGER).length)

export const AcwrSummary = Type.Object({
  athletes: Type.Integer({ minimum: 0, description: 'athletes with at least one activity, so with an ACWR series' }),
  athletesStale: Type.Integer({ minimum: 0, description: 'of those, athletes whose series does not yet reach today in their own timezone' }),
  lastRecalculatedAt: Nullable(Type.String({ format: 'date-time' }))
})

export const RecalculateReply = Type.Object({
  athletes: Type.Integer(),
  days: Type.Integer({ description: 'athlete-days computed' }),
  durationMs: Type.Number(),
  failed: Type.Integer({ description: 'athletes whose series could not be computed; every other athlete was' }),
  failedAthleteIds: Type.Array(Type.Integer(), { description: 'those athletes, in id order; their stored rows are unchanged' })
})
