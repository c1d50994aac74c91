import { isIP } from 'node:net'
import { envSchema } from 'env-schema'
import { Type, type Static } from 'typebox'

/**
 * Limits on one athlete's writes (see src/db/athlete-writes.ts). Eight writes in flight cover a
 * client that uploads and changes settings at once; five seconds of lock wait is far beyond a
 * normal write (tens of milliseconds) and well inside DB_STATEMENT_TIMEOUT_MS. 50,000
 * activities is over 45 years of three a day, yet keeps one athlete's full recompute to
 * about a second.
 */
export const ATHLETE_WRITE_DEFAULTS = { ATHLETE_WRITE_QUEUE_MAX: 8, DB_LOCK_TIMEOUT_MS: 5000, MAX_ACTIVITIES_PER_ATHLETE: 50_000 }

const PositiveInteger = (defaultValue: number, description: string) =>
  Type.Integer({ minimum: 1, default: defaultValue, description })

const OneOf = <T extends string>(values: readonly T[], defaultValue: T, description: string) =>
  Type.Unsafe<T>({ type: 'string', enum: values, default: defaultValue, description })

/**
 * Every environment variable trainload reads. The README's configuration table mirrors this
 * schema; a value that does not match stops the start with a message naming the variable.
 */
export const ConfigSchema = Type.Object({
  NODE_ENV: OneOf(['development', 'test', 'production'], 'development',
    'production refuses to start without ADMIN_TOKEN and TOKEN_ENCRYPTION_KEY'),
  HOST: Type.String({ default: '127.0.0.1', description: 'interface to listen on' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000, description: 'HTTP port' }),
  LOG_LEVEL: OneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info', 'pino log level'),
  DATA_DIR: Type.String({ default: '.data', description: 'local state: embedded PostgreSQL, generated secrets' }),
  DATABASE_URL: Type.Optional(Type.String({
    pattern: '^postgres(ql)?://',
    description: 'PostgreSQL to use; when unset an embedded PostgreSQL 17 is started'
  })),
  EMBEDDED_PG_PORT: Type.Integer({ minimum: 1, maximum: 65535, default: 5433, description: 'preferred port of the embedded server' }),
  BODY_LIMIT_BYTES: PositiveInteger(16 * 1024, 'largest body of a route without a limit of its own; batch and settings routes are sized from their schemas'),
  IMPORT_MAX_BYTES: PositiveInteger(1024 * 1024 * 1024, 'largest accepted Strava export upload, spooled to DATA_DIR/imports'),

  DB_POOL_MAX: PositiveInteger(10, 'most connections in the pool'),
  DB_POOL_MIN: Type.Integer({ minimum: 0, default: 2, description: 'connections kept open when idle' }),
  DB_CONNECTION_TIMEOUT_MS: PositiveInteger(5000, 'longest wait for a pooled connection before a 503'),
  DB_IDLE_TIMEOUT_MS: PositiveInteger(10000, 'idle time before a connection above DB_POOL_MIN is closed'),
  DB_STATEMENT_TIMEOUT_MS: PositiveInteger(30000, 'server-side statement_timeout'),
  DB_LOCK_TIMEOUT_MS: PositiveInteger(ATHLETE_WRITE_DEFAULTS.DB_LOCK_TIMEOUT_MS,
    'longest wait of an athlete write for a lock held elsewhere (another instance) before a 503'),
  ATHLETE_WRITE_QUEUE_MAX: PositiveInteger(ATHLETE_WRITE_DEFAULTS.ATHLETE_WRITE_QUEUE_MAX,
    'writes one athlete may have in flight per instance, running or queued; more are a 429'),
  WRITE_RATE_LIMIT_MAX: PositiveInteger(120, 'writes one athlete credential may make per window; more are a 429'),
  ADMIN_WRITE_RATE_LIMIT_MAX: PositiveInteger(1200, 'writes the admin token may make per window; more are a 429'),
  WRITE_RATE_LIMIT_WINDOW_S: PositiveInteger(60, 'window of the write rate limits, in seconds'),
  MAX_ACTIVITIES_PER_ATHLETE: PositiveInteger(ATHLETE_WRITE_DEFAULTS.MAX_ACTIVITIES_PER_ATHLETE,
    'activities one athlete may store; a batch or import that would pass it is a 409 and writes nothing'),

  ADMIN_TOKEN: Type.Optional(Type.String({ minLength: 32, description: 'bearer token for /admin/* and /metrics' })),
  API_KEY_CACHE_MS: Type.Integer({
    minimum: 0,
    maximum: 10_000,
    default: 2000,
    description: 'how long an instance trusts an API key it has checked; a key revoked on another instance stops working there within this time; 0 checks every request'
  }),
  LOAD_SHEDDING: Type.Boolean({ default: true, description: 'answer 503 when the event loop lags, the heap nears its limit or the database fails its health checks' }),
  CORS_ORIGINS: Type.String({ default: '', description: 'comma-separated origins allowed by CORS' }),
  TRUST_PROXY: Type.String({
    default: '',
    description: 'proxies whose X-Forwarded-For names the client: comma-separated addresses or CIDR ranges; empty trusts none'
  }),
  DOCS_ENABLED: Type.Optional(Type.Boolean({ description: 'serve Swagger UI at /docs and the OpenAPI document at /docs/json; unset means on, except with NODE_ENV=production' })),

  TOKEN_ENCRYPTION_KEY: Type.Optional(Type.String({
    pattern: '^[A-Za-z0-9+/]{43}=$',
    description: 'AES-256-GCM key for Strava tokens, 32 bytes in base64'
  })),
  TOKEN_ENCRYPTION_PREVIOUS_KEYS: Type.String({
    pattern: '^([A-Za-z0-9+/]{43}=(,[A-Za-z0-9+/]{43}=)*)?$',
    default: '',
    description: 'comma-separated earlier token keys, still able to open tokens until `tokens rotate-key` re-encrypts them'
  }),
  STRAVA_CLIENT_ID: Type.String({ default: '', description: 'Strava application client id' }),
  STRAVA_CLIENT_SECRET: Type.String({ default: '', description: 'Strava application client secret' }),
  STRAVA_BASE_URL: Type.String({ pattern: '^https?://', default: 'https://www.strava.com', description: 'Strava OAuth base URL' }),
  PUBLIC_URL: Type.String({ pattern: '^https?://', default: 'http://localhost:3000', description: 'external URL of this service, for the OAuth redirect' }),
  TOKEN_REFRESH_INTERVAL_S: Type.Integer({ minimum: 0, default: 0, description: 'in-process token refresh schedule; 0 is off' }),

  JOBS_DATABASE_URL: Type.Optional(Type.String({
    pattern: '^postgres(ql)?://',
    description: 'direct PostgreSQL connection for the job worker (LISTEN needs a session, not PgBouncer transaction mode); defaults to DATABASE_URL'
  })),
  STRAVA_SYNC_WORKER: Type.Boolean({ default: true, description: 'run the Strava sync job worker in this instance' }),
  STRAVA_SYNC_CONCURRENCY: PositiveInteger(4, 'Strava calls the sync makes at once from this instance, and its writes at once; it runs three times as many jobs, and one athlete\'s jobs always run one at a time'),
  STRAVA_RATE_RESERVE: Type.Number({ minimum: 0, maximum: 0.9, default: 0.1, description: 'share of each Strava rate limit left unused' }),
  STRAVA_WEBHOOK_VERIFY_TOKEN: Type.String({ default: '', description: 'token Strava echoes when it checks the webhook callback; empty refuses every check' }),
  STRAVA_SUBSCRIPTION_ID: Type.Optional(Type.Integer({ minimum: 1, description: 'when set, webhook events of another subscription are ignored' })),
  STRAVA_RECONCILE_INTERVAL_S: Type.Integer({ minimum: 0, default: 86_400, description: 'how often every athlete\'s recent window is re-listed from Strava; 0 is off' }),
  STRAVA_RECONCILE_DAYS: PositiveInteger(30, 'days re-listed by a sync of an athlete whose backfill is complete'),
  STRAVA_DATA_RETENTION_DAYS: Type.Optional(Type.Integer({
    minimum: 1,
    description: 'when set, Strava-sourced activities older than this many days keep only their day, sport and loads; unset keeps everything'
  })),

  ACWR_BATCH_ATHLETES: PositiveInteger(200, 'athletes per transaction in a batch ACWR recompute'),
  ACWR_RECOMPUTE_CONCURRENCY: PositiveInteger(2, 'batches of athletes a fleet ACWR recompute runs at once, each on its own pool connection'),
  ACWR_ROLL_FORWARD_INTERVAL_S: Type.Integer({ minimum: 0, default: 0, description: 'in-process ACWR roll-forward schedule; 0 is off' }),
  SEED_DEMO: Type.Optional(Type.Boolean({ description: 'seed the demo fleet into an empty database' }))
})

export type Config = Static<typeof ConfigSchema>

/** Whether a Strava application is configured, so that athletes can log in with Strava. */
export const stravaLoginConfigured = (config: Pick<Config, 'STRAVA_CLIENT_ID' | 'STRAVA_CLIENT_SECRET'>) =>
  config.STRAVA_CLIENT_ID !== '' && config.STRAVA_CLIENT_SECRET !== ''

export class ConfigError extends Error {}

interface AjvError { instancePath: string, message?: string, params?: { allowedValues?: unknown[] } }

function describeProblem ({ instancePath, message, params }: AjvError): string {
  const allowed = params?.allowedValues ? ` (${params.allowedValues.join(', ')})` : ''
  return `  ${instancePath.replace(/^\//, '')}: ${message ?? 'is invalid'}${allowed}`
}

/** Validates the environment, naming every variable that does not match the schema. */
export function loadConfig (env: Record<string, string | undefined> = process.env): Config {
  let config: Config
  try {
    config = envSchema<Config>({ schema: ConfigSchema, data: env, dotenv: false, ajv: undefined })
  } catch (err) {
    const problems = (err as Error & { errors?: AjvError[] }).errors
    const lines = problems?.map(describeProblem)
    throw new ConfigError(`Invalid configuration:\n${lines?.join('\n') ?? (err as Error).message}`)
  }
  trustProxyOption(config.TRUST_PROXY)
  checkRetention(config)
  return config
}

/**
 * A recent-window re-list reaching past the retention period would fetch the fields that
 * retention drops, and rewrite those activities at every reconciliation.
 */
function checkRetention ({ STRAVA_DATA_RETENTION_DAYS: retention, STRAVA_RECONCILE_DAYS: reconcile }: Config): void {
  if (retention === undefined || retention >= reconcile) return
  throw new ConfigError(`Invalid configuration:\n  STRAVA_DATA_RETENTION_DAYS: ${retention} is shorter than STRAVA_RECONCILE_DAYS (${reconcile}), ` +
    `so each re-list would fetch again the Strava fields retention drops; set STRAVA_RECONCILE_DAYS to ${retention} or less`)
}

/** Names proxy-addr understands for whole address ranges (loopback, link-local, private). */
const PROXY_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal'])

function isProxyAddress (entry: string): boolean {
  if (PROXY_RANGES.has(entry)) return true
  const [address = '', prefix, ...rest] = entry.split('/')
  const family = isIP(address)
  if (family === 0 || rest.length > 0) return false
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128))
}

/**
 * Fastify's `trustProxy` from TRUST_PROXY: false when empty, else the list of trusted proxy
 * addresses. Trusting every address is not offered, nor a bare hop count (which Fastify 5
 * itself no longer honours): either would let a client that reaches the service directly
 * choose the address its failed attempts are counted under.
 */
export function trustProxyOption (value: string): false | string[] {
  const trimmed = value.trim()
  if (trimmed === '') return false
  if (/^\d+$/.test(trimmed)) {
    throw new ConfigError('Invalid configuration:\n  TRUST_PROXY: a hop count cannot tell a proxy from a client that sets X-Forwarded-For itself; name the proxies\' addresses or CIDR ranges instead')
  }
  const entries = trimmed.split(',').map(entry => entry.trim())
  const bad = entries.filter(entry => !isProxyAddress(entry))
  if (bad.length > 0) {
    throw new ConfigError(`Invalid configuration:\n  TRUST_PROXY: ${bad.map(entry => JSON.stringify(entry.slice(0, 60))).join(', ')} is not an IP address, a CIDR range, loopback, linklocal or uniquelocal`)
  }
  return entries
}
