import { Type, type Static } from 'typebox'
import { batchBodyLimit, objectBodyLimit } from '../schemas/body-limits.ts'
import { Id, Nullable, Text } from '../schemas/common.ts'
import { ACWR_MODELS } from '../acwr/models.ts'

// The bounds mirror the CHECKs on the athletes table, so a bad value is a 400 naming the
// field rather than a constraint violation.
const Name = Text({ minLength: 1, maxLength: 200 })
const Sex = Type.Union([Type.Literal('M'), Type.Literal('F')])
const RestingHr = Type.Integer({ minimum: 20, maximum: 120, description: 'resting heart rate, bpm' })
const MaxHr = Type.Integer({ minimum: 100, maximum: 250, description: 'maximum heart rate, bpm' })
const Timezone = Text({ minLength: 1, maxLength: 64, description: 'IANA timezone, e.g. Europe/Paris', examples: ['Europe/Paris'] })
const AcwrModel = Type.Enum(ACWR_MODELS)

export const AthleteInput = Type.Object({
  stravaAthleteId: Id('Strava athlete id; the upsert key'),
  name: Type.Optional(Name),
  sex: Type.Optional(Sex),
  restingHr: Type.Optional(RestingHr),
  maxHr: Type.Optional(MaxHr),
  timezone: Type.Optional(Timezone)
}, { additionalProperties: false })
export type AthleteUpsert = Static<typeof AthleteInput>

export const MAX_ATHLETES_PER_BATCH = 10_000

export const UpsertAthletesBody = Type.Object({
  athletes: Type.Array(AthleteInput, { minItems: 1, maxItems: MAX_ATHLETES_PER_BATCH })
}, { additionalProperties: false })

/**
 * The largest valid athlete as compact JSON (see src/schemas/body-limits.ts):
 *   {"stravaAthleteId":9007199254740991,   1 + 18 + 16 + 1 =  36
 *   "name":"<200 characters>",             7 + 202 + 1     = 210
 *   "sex":"M",                             6 + 3 + 1       =  10
 *   "restingHr":120, "maxHr":250,          16 + 12         =  28
 *   "timezone":"<64 characters>"}          11 + 66 + 1     =  78
 *                                                            362 bytes
 * 10,000 × (362 + 1) + 1,024 = 3,631,024 bytes, about 3.6 MB.
 */
export const LARGEST_ATHLETE_BYTES = 362
export const UPSERT_ATHLETES_BODY_LIMIT = batchBodyLimit(MAX_ATHLETES_PER_BATCH, LARGEST_ATHLETE_BYTES)

export const UpsertAthletesReply = Type.Object({
  athletes: Type.Array(Type.Object({ id: Type.Integer(), stravaAthleteId: Type.Integer() }))
})

export const ApiKeyReply = Type.Object({
  apiKey: Type.String({ description: 'shown once; only its SHA-256 is stored' }),
  prefix: Type.String()
})

export const Settings = Type.Object({
  acwrModel: AcwrModel,
  acuteDays: Type.Integer({ minimum: 3, maximum: 14 }),
  chronicDays: Type.Integer({ minimum: 14, maximum: 90, description: 'at least 2 × acuteDays' }),
  decayRate: Type.Number({ minimum: 0.01, maximum: 0.2 }),
  ctlDays: Type.Integer({ minimum: 7, maximum: 120, description: 'PMC fitness (CTL) time constant, days' }),
  atlDays: Type.Integer({ minimum: 2, maximum: 28, description: 'PMC fatigue (ATL) time constant, days; less than ctlDays' })
})

export const Athlete = Type.Object({
  id: Type.Integer(),
  stravaAthleteId: Nullable(Type.Integer()),
  name: Nullable(Type.String()),
  sex: Nullable(Sex),
  restingHr: Nullable(Type.Integer()),
  maxHr: Nullable(Type.Integer()),
  timezone: Type.String(),
  settings: Settings
})
export type AthleteView = Static<typeof Athlete>

/** null clears a heart-rate setting or the sex, so TRIMP falls back to its defaults. */
export const SettingsPatch = Type.Object({
  acwrModel: Type.Optional(AcwrModel),
  acuteDays: Type.Optional(Settings.properties.acuteDays),
  chronicDays: Type.Optional(Settings.properties.chronicDays),
  decayRate: Type.Optional(Settings.properties.decayRate),
  ctlDays: Type.Optional(Settings.properties.ctlDays),
  atlDays: Type.Optional(Settings.properties.atlDays),
  restingHr: Type.Optional(Nullable(RestingHr)),
  maxHr: Type.Optional(Nullable(MaxHr)),
  sex: Type.Optional(Nullable(Sex)),
  timezone: Type.Optional(Timezone)
}, { additionalProperties: false })
export type SettingsChange = Static<typeof SettingsPatch>

/**
 * The largest valid settings change as compact JSON (see src/schemas/body-limits.ts):
 *   {"acwrModel":"rolling-uncoupled",        1 + 12 + 19 + 1 = 33
 *   "acuteDays":14, "chronicDays":90,       15 + 17         = 32
 *   "decayRate":0.012345678901234567,       12 + 20 + 1     = 33
 *   "ctlDays":120, "atlDays":28,            14 + 13         = 27
 *   "restingHr":120, "maxHr":250,           16 + 12         = 28
 *   "sex":null,                             6 + 4 + 1       = 11
 *   "timezone":"<64 characters>"}           11 + 66 + 1     = 78
 *                                                            242 bytes
 * 242 + 1,024 = 1,266 bytes.
 */
export const LARGEST_SETTINGS_PATCH_BYTES = 242
export const SETTINGS_PATCH_BODY_LIMIT = objectBodyLimit(LARGEST_SETTINGS_PATCH_BYTES)

export const AthleteListQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'athletes per page' }),
  cursor: Type.Optional(Type.String({
    pattern: '^[1-9][0-9]{0,15}$',
    description: 'the `nextCursor` of the previous page'
  }))
}, { additionalProperties: false })

const AthleteListItem = Type.Object({
  id: Id('trainload athlete id'),
  stravaAthleteId: Nullable(Type.Integer()),
  name: Nullable(Type.String())
})

export const AthleteList = Type.Object({
  athletes: Type.Array(AthleteListItem),
  nextCursor: Nullable(Type.String(), { description: 'null on the last page' })
}, {
  examples: [{ athletes: [{ id: 1, stravaAthleteId: 9000001, name: 'Ada Okafor' }], nextCursor: '1' }]
})

export const WhoAmI = Type.Union([
  Type.Object({ kind: Type.Literal('athlete'), athleteId: Type.Integer() }),
  Type.Object({ kind: Type.Literal('admin') })
], { description: 'whose credential the request carries' })

const Timestamp = Type.String({ format: 'date-time' })

export const ApiKeyList = Type.Object({
  keys: Type.Array(Type.Object({
    id: Type.Integer(),
    prefix: Type.String({ description: 'the first characters of the key, to tell keys apart' }),
    createdAt: Timestamp,
    lastUsedAt: Nullable(Timestamp, { description: 'recorded to within a minute' }),
    revokedAt: Nullable(Timestamp)
  }))
}, { description: 'newest first; never the key itself' })

export const ApiKeyParams = Type.Object({
  athleteId: Id('trainload athlete id'),
  keyId: Id('API key id, as the key list gives it')
}, { additionalProperties: false })
