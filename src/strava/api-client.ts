import pLimit from 'p-limit'
import type { Database } from '../db/database.ts'
import { parsedOrUndefined, readText, send, succeeded, type HttpAnswer, type HttpCall } from '../http-client.ts'
import { ReadLease, recordStatedUsage, type BudgetGrant, statedUsage, statesNewUsage, takeReadBudget, type ReadBudget } from './budget.ts'

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

type CallInit = Pick<HttpCall, 'method' | 'form'>

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
  /** Calls in flight at once, each from its request to the end of its answer's body; unlimited when unset. */
  callsAtOnce?: number
}

/**
 * Strava's read API with the deployment's rate budget in front: each call first takes one
 * read from the shared budget (or from reads its job took ahead), and each answer's
 * rate-limit headers are stored for every instance (when they say something the budget does
 * not already hold). A 429 (another client of the same application spent the window) is
 * stored too and reported as a spent budget until the window ends. Errors never carry a token.
 * At most `callsAtOnce` calls are in flight; the read is taken before a call waits its turn.
 */
export function createStravaApi ({ db, baseUrl, reserve, now, timeoutMs = 15_000, callsAtOnce = Infinity }: ApiClientOptions) {
  const eachCallItsOwn: ReadBudget = { take: () => takeReadBudget(db, now(), reserve) }
  const inFlight = pLimit(callsAtOnce)

  /** Sends one call and hands its answer to `read`, which consumes the body, within one of the slots. */
  async function call<T> (path: string, accessToken: string, budget: ReadBudget, read: (response: HttpAnswer) => Promise<T>, init: CallInit = {}): Promise<T> {
    const grant = await budget.take()
    if (!grant.granted) throw new BudgetSpentError(grant.retryAt)
    return inFlight(async () => read(await checkedAnswer(path, accessToken, grant, init)))
  }

  /** The call's answer, its rate-limit headers stored, for a reader to handle: any status but 401, 429 and 5xx, which throw. */
  async function checkedAnswer (path: string, accessToken: string, grant: Extract<BudgetGrant, { granted: true }>, init: CallInit): Promise<HttpAnswer> {
    let response: HttpAnswer
    try {
      response = await send(new URL(path, baseUrl), { ...init, headers: { authorization: `Bearer ${accessToken}` }, timeoutMs })
    } catch (err) {
      throw new StravaUnavailableError(`Strava did not answer ${path.split('?')[0]}: ${(err as Error).name === 'TimeoutError' ? 'timed out' : 'network error'}`)
    }
    const status = response.statusCode
    const usage = statedUsage(response.headers)
    if (status === 429 || statesNewUsage(grant.after, usage)) await recordStatedUsage(db, grant.window, usage)
    if (status === 429) {
      await response.body.dump()
      const spent = await takeReadBudget(db, now(), reserve)
      throw new BudgetSpentError(spent.granted ? new Date(now().getTime() + 60_000) : spent.retryAt)
    }
    if (status === 401) {
      await response.body.dump()
      throw new AccessRejectedError('Strava refused the access token (HTTP 401)')
    }
    if (status >= 500) {
      await response.body.dump()
      throw new StravaUnavailableError(`Strava answered HTTP ${status} to ${path.split('?')[0]}`)
    }
    return response
  }

  /** The answer's JSON; a body that cannot be read says why, one that is not JSON only its status (a body may hold an athlete's data). */
  async function json<T> (response: HttpAnswer, what: string): Promise<T> {
    const text = await readText(response).catch((err: Error) => {
      throw new StravaUnavailableError(`Strava answered ${what} with a body that cannot be read: ${err.message}`)
    })
    const body = parsedOrUndefined<T>(text)
    if (!succeeded(response) || body === undefined) throw new StravaUnavailableError(`Strava answered HTTP ${response.statusCode} to ${what}`)
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
      const page = await call(`/api/v3/athlete/activities?${params}`, accessToken, budget, response => json<unknown>(response, 'the activity list'))
      if (!Array.isArray(page)) throw new StravaUnavailableError('Strava answered the activity list with something other than a list')
      return page as StravaActivity[]
    },
    /** One activity with its detail fields, or null when Strava no longer has it (or the athlete hid it). */
    async getActivity (accessToken: string, activityId: number): Promise<StravaActivity | null> {
      return call(`/api/v3/activities/${activityId}`, accessToken, eachCallItsOwn, async response => {
        if (response.statusCode === 404 || response.statusCode === 403) {
          await response.body.dump()
          return null
        }
        return json<StravaActivity>(response, 'the activity')
      })
    },
    /** Revokes the application's access for this athlete; false when Strava no longer knew the token. */
    async deauthorize (accessToken: string): Promise<boolean> {
      return call('/oauth/deauthorize', accessToken, eachCallItsOwn, async response => {
        await response.body.dump()
        return succeeded(response)
      }, { method: 'POST', form: new URLSearchParams({ access_token: accessToken }) })
    }
  }
}

export type StravaApi = ReturnType<typeof createStravaApi>
