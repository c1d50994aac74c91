import { readJson, send, succeeded, type HttpAnswer, type HttpCall } from '../http-client.ts'
import { classifyFailure } from '../tokens/strava-client.ts'

/**
 * Strava's push subscription API (developers.strava.com/docs/webhooks): an application has at
 * most one subscription, made with its own credentials rather than an athlete's token.
 * Creating one makes Strava check the callback before it answers: it sends
 * `GET callback_url?hub.mode=subscribe&hub.challenge=…&hub.verify_token=…` and wants the
 * challenge echoed within 2 s, so the create call waits well beyond that.
 *
 * The list and delete calls carry the client secret in their query string, as Strava asks:
 * no message here ever includes a request URL, only Strava's status and error codes.
 */
export interface PushSubscription {
  id: number
  callbackUrl: string
  createdAt: string | null
  updatedAt: string | null
}

/** A push subscription call that did not do what was asked; the message says why and what to do. */
export class SubscriptionError extends Error {
  constructor (message: string, readonly status?: number) {
    super(message)
    this.name = 'SubscriptionError'
  }
}

export interface SubscriptionClientOptions {
  baseUrl: string
  clientId: string
  clientSecret: string
  timeoutMs?: number
}

interface StravaErrorEntry { resource?: unknown, field?: unknown, code?: unknown }

const errorEntries = (body: unknown): StravaErrorEntry[] => {
  const errors = (body && typeof body === 'object' ? body as { errors?: unknown } : {}).errors
  return Array.isArray(errors) ? errors as StravaErrorEntry[] : []
}

const describeEntries = (entries: StravaErrorEntry[]) => entries
  .map(e => [e.resource, e.field, e.code].filter(part => typeof part === 'string' && part !== '').join(' '))
  .filter(Boolean).join('; ')

/** Turns Strava's refusal into what the operator should know, classified by status and error codes. */
function refusal (what: string, status: number, body: unknown, callbackUrl?: string): SubscriptionError {
  const entries = errorEntries(body)
  const codes = describeEntries(entries)
  const detail = codes ? ` (Strava: ${codes})` : ''
  const failure = classifyFailure(status, body)
  if (failure === 'misconfigured' || status === 401) {
    return new SubscriptionError(`Strava refused the application's credentials to ${what}: check STRAVA_CLIENT_ID and STRAVA_CLIENT_SECRET${detail}`, status)
  }
  if (entries.some(e => e.code === 'already exists')) {
    return new SubscriptionError('this Strava application already has a webhook subscription (one is allowed per application): ' +
      '`trainload strava webhook status` shows it, `trainload strava webhook unsubscribe` removes it', status)
  }
  if (callbackUrl && entries.some(e => typeof e.field === 'string' && e.field.includes('callback'))) {
    return new SubscriptionError(`Strava could not verify the callback ${callbackUrl}: it must answer Strava's GET with the hub.challenge ` +
      'echoed within 2 s, so it must be reachable from the internet and run with the same STRAVA_WEBHOOK_VERIFY_TOKEN as this command' + detail, status)
  }
  if (status === 429) return new SubscriptionError(`Strava's rate limit refused the call to ${what}; try again after the next quarter hour${detail}`, status)
  if (failure === 'unavailable') return new SubscriptionError(`Strava is unavailable (HTTP ${status}) to ${what}; try again later${detail}`, status)
  return new SubscriptionError(`Strava answered HTTP ${status} to ${what}${detail}`, status)
}

function toSubscription (item: unknown): PushSubscription {
  const { id, callback_url: callbackUrl, created_at: createdAt, updated_at: updatedAt } = (item ?? {}) as Record<string, unknown>
  if (!Number.isSafeInteger(id) || typeof callbackUrl !== 'string') throw new SubscriptionError('Strava listed a push subscription without an id or callback_url')
  return {
    id: id as number,
    callbackUrl,
    createdAt: typeof createdAt === 'string' ? createdAt : null,
    updatedAt: typeof updatedAt === 'string' ? updatedAt : null
  }
}

export function createSubscriptionClient ({ baseUrl, clientId, clientSecret, timeoutMs = 15_000 }: SubscriptionClientOptions) {
  if (!clientId || !clientSecret) throw new SubscriptionError('STRAVA_CLIENT_ID and STRAVA_CLIENT_SECRET must be set: a webhook subscription belongs to a Strava application')
  const credentials = () => new URLSearchParams({ client_id: clientId, client_secret: clientSecret })
  const url = (path: string, query?: URLSearchParams) => {
    const target = new URL(`/api/v3/push_subscriptions${path}`, baseUrl)
    if (query) target.search = query.toString()
    return target
  }

  async function call (what: string, target: URL, init: Pick<HttpCall, 'method' | 'form'>): Promise<HttpAnswer> {
    try {
      return await send(target, { ...init, timeoutMs })
    } catch (err) {
      const timedOut = (err as Error).name === 'TimeoutError'
      throw new SubscriptionError(`Strava did not answer the call to ${what} at ${new URL(baseUrl).origin}: ${timedOut ? `no answer within ${timeoutMs / 1000} s` : 'network error'}`)
    }
  }

  return {
    /** Creates the subscription once Strava has verified `callbackUrl` with `verifyToken`; resolves to its id. */
    async create (callbackUrl: string, verifyToken: string): Promise<number> {
      const what = 'create the webhook subscription'
      const form = credentials()
      form.set('callback_url', callbackUrl)
      form.set('verify_token', verifyToken)
      const response = await call(what, url(''), { method: 'POST', form })
      const answer = await readJson(response)
      if (!succeeded(response)) throw refusal(what, response.statusCode, answer, callbackUrl)
      const id = (answer as { id?: unknown } | undefined)?.id
      if (!Number.isSafeInteger(id)) throw new SubscriptionError('Strava created the webhook subscription but answered without its id: `trainload strava webhook status` shows it')
      return id as number
    },

    /** The application's subscriptions: none or one. */
    async list (): Promise<PushSubscription[]> {
      const what = 'list the webhook subscriptions'
      const response = await call(what, url('', credentials()), { method: 'GET' })
      const answer = await readJson(response)
      if (!succeeded(response)) throw refusal(what, response.statusCode, answer)
      if (!Array.isArray(answer)) throw new SubscriptionError('Strava answered the subscription list with something other than a list')
      return answer.map(toSubscription)
    },

    async remove (id: number): Promise<void> {
      const what = `delete webhook subscription ${id}`
      const response = await call(what, url(`/${id}`, credentials()), { method: 'DELETE' })
      if (succeeded(response)) {
        await response.body.dump()
        return
      }
      const answer = await readJson(response)
      if (response.statusCode === 404) throw new SubscriptionError(`Strava has no webhook subscription ${id} for this application`, 404)
      throw refusal(what, response.statusCode, answer)
    }
  }
}

export type SubscriptionClient = ReturnType<typeof createSubscriptionClient>
