import { Type, type Static } from 'typebox'
import { batchBodyLimit } from '../schemas/body-limits.ts'
import { Id, Text } from '../schemas/common.ts'

/** Strava tokens are short printable strings; the bound keeps a pasted document out. */
const TokenValue = (description: string) => Type.String({ minLength: 1, maxLength: 2048, pattern: '^[\\x21-\\x7e]+$', description })

/** 9999-12-31T23:59:59Z: the last instant PostgreSQL and ISO-8601 timestamps both write plainly. */
export const MAX_EXPIRES_AT_S = 253402300799

export const TokenInput = Type.Object({
  athleteId: Id('trainload athlete id'),
  accessToken: TokenValue('Strava access token'),
  refreshToken: TokenValue('Strava refresh token'),
  expiresAt: Type.Integer({ minimum: 0, maximum: MAX_EXPIRES_AT_S, description: 'access token expiry, epoch seconds' }),
  scope: Type.Optional(Type.Union([Text({ maxLength: 200 }), Type.Null()]))
}, { additionalProperties: false })
/** A token as a caller gives it, in plaintext; only src/tokens seals and opens them. */
export type PlainToken = Static<typeof TokenInput>

export const MAX_TOKENS_PER_BATCH = 10_000

export const SaveTokensBody = Type.Object({
  tokens: Type.Array(TokenInput, { minItems: 1, maxItems: MAX_TOKENS_PER_BATCH })
}, { additionalProperties: false })

/**
 * The largest valid token as compact JSON (see src/schemas/body-limits.ts):
 *   {"athleteId":9007199254740991,          1 + 12 + 16 + 1 =   30
 *   "accessToken":"<2048 characters>",      14 + 2050 + 1   = 2065
 *   "refreshToken":"<2048 characters>",     15 + 2050 + 1   = 2066
 *   "expiresAt":253402300799,               12 + 12 + 1     =   25
 *   "scope":"<200 characters>"}             8 + 202 + 1     =  211
 *                                                            4397 bytes
 * 10,000 × (4397 + 1) + 1,024 = 43,981,024 bytes, about 44 MB. Real Strava tokens are 40
 * characters, so a real batch is nearer 1.5 MB; the route takes the admin token, which is
 * checked before a byte of the body is read.
 */
export const LARGEST_TOKEN_BYTES = 4397
export const SAVE_TOKENS_BODY_LIMIT = batchBodyLimit(MAX_TOKENS_PER_BATCH, LARGEST_TOKEN_BYTES)

export const SaveTokensReply = Type.Object({ saved: Type.Integer() })

const MAX_REFRESH_ATHLETE_IDS = 10_000

export const RefreshTokensBody = Type.Object({
  athleteIds: Type.Optional(Type.Array(Id('trainload athlete id'), { minItems: 1, maxItems: MAX_REFRESH_ATHLETE_IDS })),
  withinMinutes: Type.Integer({ minimum: 0, maximum: 24 * 60, default: 60, description: 'refresh access tokens expiring within this many minutes' }),
  concurrency: Type.Integer({ minimum: 1, maximum: 64, default: 8, description: 'Strava calls in flight at once' })
}, { additionalProperties: false })

/**
 * Up to 10,000 ids of at most 16 digits each with their commas; the rest,
 * {"athleteIds":[],"withinMinutes":1440,"concurrency":64}, is 55 bytes of the slack:
 * 10,000 × (16 + 1) + 1,024 = 171,024 bytes.
 */
export const REFRESH_TOKENS_BODY_LIMIT = batchBodyLimit(MAX_REFRESH_ATHLETE_IDS, String(Number.MAX_SAFE_INTEGER).length)

export const RefreshTokensReply = Type.Object({
  checked: Type.Integer(),
  refreshed: Type.Integer(),
  failed: Type.Integer(),
  invalidated: Type.Integer(),
  skipped: Type.Integer(),
  durationMs: Type.Integer()
})
export type RefreshCounts = Static<typeof RefreshTokensReply>

/** The bucket an athlete's token falls in; summarizeTokens counts each. */
export const TokenStatusSchema = Type.Union([
  Type.Literal('healthy'), Type.Literal('expiringSoon'), Type.Literal('expired'), Type.Literal('invalid'), Type.Literal('missing')
])
export type TokenStatus = Static<typeof TokenStatusSchema>

export const TokenHealthQuery = Type.Object({
  status: Type.Optional(TokenStatusSchema),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  cursor: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,15}$', description: 'nextCursor of the previous page' }))
}, { additionalProperties: false })

const Count = Type.Integer({ minimum: 0 })
const Timestamp = Type.Union([Type.String({ format: 'date-time' }), Type.Null()])

export const TokenSummarySchema = Type.Object({ total: Count, healthy: Count, expiringSoon: Count, expired: Count, invalid: Count, missing: Count })
export type TokenSummary = Static<typeof TokenSummarySchema>

export const AthleteTokenHealthSchema = Type.Object({
  athleteId: Type.Integer(),
  status: TokenStatusSchema,
  expiresAt: Timestamp,
  lastRefreshedAt: Timestamp,
  failureCount: Type.Union([Type.Integer(), Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()])
})
export type AthleteTokenHealth = Static<typeof AthleteTokenHealthSchema>

export const TokenHealthReply = Type.Object({
  summary: TokenSummarySchema,
  athletes: Type.Array(AthleteTokenHealthSchema),
  nextCursor: Type.Union([Type.String(), Type.Null()])
})
export type TokenHealthReport = Static<typeof TokenHealthReply>

export const CleanupBody = Type.Object({
  invalidForDays: Type.Integer({ minimum: 0, maximum: 3650, default: 30 })
}, { additionalProperties: false })

export const CleanupReply = Type.Object({ deleted: Type.Integer() })

export const CallbackQuery = Type.Object({
  code: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
  state: Type.String({ minLength: 1, maxLength: 512 }),
  scope: Type.Optional(Text({ maxLength: 200 })),
  error: Type.Optional(Type.String({ maxLength: 200 }))
})

export const CallbackReply = Type.Object({
  athleteId: Type.Integer(),
  apiKey: Type.String()
})
