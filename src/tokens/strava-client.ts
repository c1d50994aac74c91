import { setTimeout as sleep } from 'node:timers/promises'
import { readJson, send, succeeded, type HttpAnswer } from '../http-client.ts'
import { MAX_EXPIRES_AT_S } from './schemas.ts'

export interface StravaTokenSet {
  accessToken: string
  refreshToken: string
  /** Epoch seconds. */
  expiresAt: number
}

export interface StravaAthlete {
  id: number
  firstname?: string
  lastname?: string
}

/**
 * What a failed call means for the caller:
 * - `reauthorize`: Strava rejected the grant (refresh token or code); only this athlete is affected.
 * - `misconfigured`: Strava rejected the application's credentials; every call will fail.
 * - `unavailable`: no usable answer (5xx, 429, network, timeout) after the bounded retries.
 * - `rejected`: any other 4xx, which retrying will not fix.
 * - `malformed`: a 2xx whose body is not a usable answer (no token, an expiry out of range).
 */
export type StravaFailure = 'reauthorize' | 'misconfigured' | 'unavailable' | 'rejected' | 'malformed'

export class StravaError extends Error {
  constructor (readonly failure: StravaFailure, readonly status: number | undefined, message: string) {
    super(message)
    this.name = 'StravaError'
  }
}

export interface StravaClientOptions {
  baseUrl: string
  clientId: string
  clientSecret: string
  timeoutMs?: number
  maxAttempts?: number
  baseDelayMs?: number
  /** Longest wait for one retry; a rate limit asking for more ends the call as unavailable. */
  maxDelayMs?: number
  random?: () => number
}

interface StravaErrorEntry { resource?: unknown, field?: unknown, code?: unknown }
interface TokenErrorBody { error?: unknown, errors?: StravaErrorEntry[] }

/**
 * Classifies a non-2xx answer from the HTTP status plus the OAuth `error` field or Strava's
 * `errors[]` entries, never from message text: a message can mention "invalid" for any reason,
 * and treating that as a dead token would sign athletes out for a server misconfiguration.
 */
export function classifyFailure (status: number, body: unknown): StravaFailure {
  if (status === 429 || status >= 500) return 'unavailable'
  const { error, errors } = (body && typeof body === 'object' ? body : {}) as TokenErrorBody
  const entries = Array.isArray(errors) ? errors : []
  if (error === 'invalid_client' || entries.some(e => e.resource === 'Application' || e.field === 'client_id' || e.field === 'client_secret')) {
    return 'misconfigured'
  }
  if ((status === 400 || status === 401) &&
    (error === 'invalid_grant' || entries.some(e => e.resource === 'RefreshToken' || e.resource === 'AuthorizationCode' || e.field === 'code' || e.field === 'refresh_token'))) {
    return 'reauthorize'
  }
  return 'rejected'
}

function secondsUntilNextWindow (now: Date, usage: number[], limits: number[]): number | undefined {
  const [shortUsage = 0, dailyUsage = 0] = usage
  const [shortLimit = Infinity, dailyLimit = Infinity] = limits
  if (dailyUsage >= dailyLimit) {
    const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1)
    return (midnight - now.getTime()) / 1000
  }
  // Strava's short window is the quarter hour of the clock, not a sliding 15 minutes.
  if (shortUsage >= shortLimit) return (15 * 60) - ((now.getUTCMinutes() % 15) * 60 + now.getUTCSeconds())
  return undefined
}

type AnswerHeaders = HttpAnswer['headers']

const numbers = (header: string | string[] | undefined) => typeof header === 'string' ? header.split(',').map(Number).filter(Number.isFinite) : []

/**
 * How long to wait before the next attempt. Retry-After wins when present; an exhausted
 * rate-limit window (X-RateLimit-Usage at X-RateLimit-Limit) waits for the window to reset;
 * otherwise exponential backoff with jitter, so that many clients do not retry in step.
 */
export function retryDelayMs (headers: AnswerHeaders | undefined, attempt: number, baseDelayMs: number, random: () => number, now = new Date()): number {
  const retryAfter = headers?.['retry-after']
  if (typeof retryAfter === 'string' && retryAfter) {
    const seconds = Number(retryAfter)
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
    const at = Date.parse(retryAfter)
    if (Number.isFinite(at)) return Math.max(0, at - now.getTime())
  }
  const windowWait = headers && secondsUntilNextWindow(now, numbers(headers['x-ratelimit-usage']), numbers(headers['x-ratelimit-limit']))
  if (windowWait !== undefined) return windowWait * 1000
  const ceiling = baseDelayMs * 2 ** attempt
  return ceiling / 2 + random() * ceiling / 2
}

type Attempt = { ok: true, body: unknown } | { ok: false, retry: boolean, status?: number, headers?: AnswerHeaders, body?: unknown, reason: string }
type Settings = Required<StravaClientOptions> & { tokenUrl: string }

async function attemptTokenCall (settings: Settings, params: Record<string, string>): Promise<Attempt> {
  let response: HttpAnswer
  try {
    response = await send(settings.tokenUrl, {
      method: 'POST',
      form: new URLSearchParams({ client_id: settings.clientId, client_secret: settings.clientSecret, ...params }),
      timeoutMs: settings.timeoutMs
    })
  } catch (err) {
    const timedOut = (err as Error).name === 'TimeoutError'
    return { ok: false, retry: true, reason: timedOut ? `timed out after ${settings.timeoutMs} ms` : 'network error' }
  }
  const body = await readJson(response)
  if (succeeded(response)) return { ok: true, body }
  const status = response.statusCode
  const retry = status === 429 || status >= 500
  return { ok: false, retry, status, headers: response.headers, body, reason: `HTTP ${status}` }
}

/** Error messages carry the status and classification only: never a token or a response body. */
async function postToken (settings: Settings, params: Record<string, string>): Promise<unknown> {
  for (let n = 0; ; n++) {
    const result = await attemptTokenCall(settings, params)
    if (result.ok) return result.body
    if (!result.retry) {
      const failure = classifyFailure(result.status!, result.body)
      throw new StravaError(failure, result.status, `Strava token endpoint answered ${result.reason} (${failure})`)
    }
    const delay = retryDelayMs(result.headers, n, settings.baseDelayMs, settings.random)
    if (n + 1 >= settings.maxAttempts || delay > settings.maxDelayMs) {
      throw new StravaError('unavailable', result.status, `Strava token endpoint unavailable: ${result.reason} after ${n + 1} attempt(s)`)
    }
    await sleep(delay)
  }
}

function tokenSet (body: unknown): StravaTokenSet {
  const { access_token: accessToken, refresh_token: refreshToken, expires_at: expiresAt } = (body ?? {}) as Record<string, unknown>
  if (typeof accessToken !== 'string' || typeof refreshToken !== 'string' || typeof expiresAt !== 'number' || !accessToken || !refreshToken) {
    throw new StravaError('malformed', 200, 'Strava token endpoint answered without a usable token set')
  }
  return { accessToken, refreshToken, expiresAt }
}

/**
 * A login's token expiry must be what the admin route accepts: whole epoch seconds up to the
 * year 9999. Refusing it costs the athlete nothing but a retry, as a code exchange rotates no
 * token they already depend on.
 */
function assertPlausibleExpiry (expiresAt: number): void {
  if (Number.isInteger(expiresAt) && expiresAt >= 0 && expiresAt <= MAX_EXPIRES_AT_S) return
  throw new StravaError('malformed', 200, `Strava answered a token expiry (expires_at ${String(expiresAt).slice(0, 40)}) that is not epoch seconds between 1970 and 9999`)
}

export function createStravaClient (options: StravaClientOptions) {
  const settings: Settings = {
    timeoutMs: 10_000,
    maxAttempts: 4,
    baseDelayMs: 250,
    maxDelayMs: 30_000,
    random: Math.random,
    ...options,
    tokenUrl: new URL('/oauth/token', options.baseUrl).href
  }
  return {
    async refresh (refreshToken: string): Promise<StravaTokenSet> {
      return tokenSet(await postToken(settings, { grant_type: 'refresh_token', refresh_token: refreshToken }))
    },
    async exchangeCode (code: string): Promise<StravaTokenSet & { athlete: StravaAthlete }> {
      const body = await postToken(settings, { grant_type: 'authorization_code', code })
      const athlete = (body as { athlete?: StravaAthlete }).athlete
      if (!athlete || !Number.isSafeInteger(athlete.id) || athlete.id <= 0) {
        throw new StravaError('malformed', 200, 'Strava code exchange answered without an athlete')
      }
      const tokens = tokenSet(body)
      assertPlausibleExpiry(tokens.expiresAt)
      return { ...tokens, athlete }
    }
  }
}

export type StravaClient = ReturnType<typeof createStravaClient>
