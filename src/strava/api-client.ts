import type { Database } from '../db/database.ts'
import { ReadLease, recordStatedUsage, statedUsage, statesNewUsage, takeReadBudget, type ReadBudget } from './budget.ts'

/** A Strava activity as `GET /athlete/activities` (summary) or `GET /activities/{id}` (detail) returns it. */
export interface StravaActivity {
  id: number
  name?: string | null
  sport_type?: string | null
  type?: string | null
  start_date: string
  start_date_local: string
  timezone?: string | null
  distance?: number | null
  moving_time?: number | null
  total_elevation_gain?: number | null
  has_heartrate?: boolean
  average_heartrate?: number | null
  max_heartrate?: number | null
  perceived_exertion?: number | null
}

/** The shared budget has no room before `retryAt`: the call was not sent. */
export class BudgetSpentError extends Error {
  constructor (readonly retryAt: Date) {
    super(`Strava's rate budget is spent until ${retryAt.toISOString()}`)
  }
}

/** Strava refused the access token (401): refresh once and retry. */
export class AccessRejectedError extends Error {}

/** No usable answer (5xx, network, timeout, unexpected body): the job is retried with backoff. */
export class StravaUnavailableError extends Error {}

export interface ApiClientOptions {
  db: Database
  baseUrl: string
  reserve: number
  now: () => Date
  timeoutMs?: number
}

/**
 * Strava's read API with the deployment's rate budget in front: each call first takes one
 * read from the shared budget (or from reads its job took ahead), and each answer's
 * rate-limit headers are stored for every instance (when they say something the budget does
 * not already hold). A 429 (another client of the same application spent the window) is
 * stored too and reported as a spent budget until the window ends. Errors never carry a token.
 */
export function createStravaApi ({ db, baseUrl, reserve, now, timeoutMs = 15_000 }: ApiClientOptions) {
  const eachCallItsOwn: ReadBudget = { take: () => takeReadBudget(db, now(), reserve) }

  async function call (path: string, accessToken: string, budget: ReadBudget, init: { method?: string, body?: URLSearchParams } = {}): Promise<Response> {
    const grant = await budget.take()
    if (!grant.granted) throw new BudgetSpentError(grant.retryAt)
    let response: Response
    try {
      response = await fetch(new URL(path, baseUrl), {
        method: init.method ?? 'GET',
        headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
        body: init.body,
        signal: AbortSignal.timeout(timeoutMs)
      })
    } catch (err) {
      throw new StravaUnavailableError(`Strava did not answer ${path.split('?')[0]}: ${(err as Error).name === 'TimeoutError' ? 'timed out' : 'network error'}`)
    }
    const usage = statedUsage(response.headers)
    if (response.status === 429 || statesNewUsage(grant.after, usage)) await recordStatedUsage(db, grant.window, usage)
    if (response.status === 429) {
      await response.body?.cancel()
      const spent = await takeReadBudget(db, now(), reserve)
      throw new BudgetSpentError(spent.granted ? new Date(now().getTime() + 60_000) : spent.retryAt)
    }
    if (response.status === 401) {
      await response.body?.cancel()
      throw new AccessRejectedError('Strava refused the access token (HTTP 401)')
    }
    if (response.status >= 500) {
      await response.body?.cancel()
      throw new StravaUnavailableError(`Strava answered HTTP ${response.status} to ${path.split('?')[0]}`)
    }
    return response
  }

  async function json<T> (response: Response, what: string): Promise<T> {
    const body = await response.json().catch(() => undefined) as T | undefined
    if (!response.ok || body === undefined) throw new StravaUnavailableError(`Strava answered HTTP ${response.status} to ${what}`)
    return body
  }

  return {
    /**
     * Reads for the calls of one job, taken ahead in one statement; the job passes it to each
     * call and releases it when it ends. A call given none takes its own read.
     */
    leaseReads (expected: number): ReadLease {
      return new ReadLease(db, reserve, now, expected)
    },
    /** One page, newest first, of the activities that started before `before` (epoch s) and after `after`. */
    async listActivities (accessToken: string, query: { before?: number, after?: number, page: number, perPage: number }, budget = eachCallItsOwn): Promise<StravaActivity[]> {
      const params = new URLSearchParams({ page: String(query.page), per_page: String(query.perPage) })
      if (query.before !== undefined) params.set('before', String(query.before))
      if (query.after !== undefined) params.set('after', String(query.after))
      const page = await json<unknown>(await call(`/api/v3/athlete/activities?${params}`, accessToken, budget), 'the activity list')
      if (!Array.isArray(page)) throw new StravaUnavailableError('Strava answered the activity list with something other than a list')
      return page as StravaActivity[]
    },
    /** One activity with its detail fields, or null when Strava no longer has it (or the athlete hid it). */
    async getActivity (accessToken: string, activityId: number): Promise<StravaActivity | null> {
      const response = await call(`/api/v3/activities/${activityId}`, accessToken, eachCallItsOwn)
      if (response.status === 404 || response.status === 403) {
        await response.body?.cancel()
        return null
      }
      return json<StravaActivity>(response, 'the activity')
    },
    /** Revokes the application's access for this athlete; false when Strava no longer knew the token. */
    async deauthorize (accessToken: string): Promise<boolean> {
      const response = await call('/oauth/deauthorize', accessToken, eachCallItsOwn, { method: 'POST', body: new URLSearchParams({ access_token: accessToken }) })
      await response.body?.cancel()
      return response.ok
    }
  }
}

export type StravaApi = ReturnType<typeof createStravaApi>
