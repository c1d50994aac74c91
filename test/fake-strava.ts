import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import Fastify, { type FastifyReply } from 'fastify'

export interface FakeStravaOptions {
  clientId?: string
  clientSecret?: string
  /** Delay before a token call is handled. */
  latencyMs?: number
  /** Share of token calls answered 503 at random. */
  failureRate?: number
  /** `strava`: `{ message, errors: [{ resource, field, code }] }`; `oauth`: `{ error }`. */
  errorStyle?: 'strava' | 'oauth'
  /** Lifetime of issued access tokens. */
  expiresInS?: number
  random?: () => number
}

export interface InjectedFailure {
  status: number
  retryAfterS?: number
  /** Sends X-RateLimit-Usage at the limit, as Strava does when a window is used up. */
  exhausted?: boolean
}

export interface FakeTokenSet {
  access_token: string
  refresh_token: string
  expires_at: number
  expires_in: number
  token_type: 'Bearer'
}

interface Profile { firstname?: string, lastname?: string }

const RATE_LIMIT = '200,2000'

/**
 * A stand-in for Strava's OAuth endpoints on 127.0.0.1. It rotates refresh tokens on every
 * refresh (the old one stops working), answers invalid_grant for tokens it does not
 * currently honour and invalid_client for wrong credentials, and counts every call. A call
 * whose client has gone away during the latency is dropped unprocessed, so a client timeout
 * or a killed process does not rotate a token behind the caller's back.
 */
export async function startFakeStrava (options: FakeStravaOptions = {}) {
  const clientId = options.clientId ?? '4242'
  const clientSecret = options.clientSecret ?? 'fake-client-secret'
  const random = options.random ?? Math.random
  const state = {
    latencyMs: options.latencyMs ?? 0,
    failureRate: options.failureRate ?? 0,
    errorStyle: options.errorStyle ?? 'strava',
    expiresInS: options.expiresInS ?? 6 * 3600
  }
  const pendingFailures: InjectedFailure[] = []
  const currentRefresh = new Map<number, string>()
  const refreshOwner = new Map<string, number>()
  // Every refresh token ever issued, so calls with a rotated-out token still count per athlete.
  const refreshOwnerEver = new Map<string, number>()
  const accessOwner = new Map<string, number>()
  const codes = new Map<string, { athleteId: number, profile: Profile }>()
  const refreshCalls = new Map<number, number>()
  const tokenCalls = new Map<string, number>()
  const calls = { token: 0, refresh: 0, exchange: 0, authorize: 0, deauthorize: 0, dropped: 0 }
  let nextAthleteId = 90_000
  let issued = 0

  function issueTokens (athleteId: number): FakeTokenSet {
    issued++
    const nonce = randomBytes(9).toString('base64url')
    const access = `fake-access-${athleteId}-${issued}-${nonce}`
    const refresh = `fake-refresh-${athleteId}-${issued}-${nonce}`
    const previous = currentRefresh.get(athleteId)
    if (previous) refreshOwner.delete(previous)
    currentRefresh.set(athleteId, refresh)
    refreshOwner.set(refresh, athleteId)
    refreshOwnerEver.set(refresh, athleteId)
    accessOwner.set(access, athleteId)
    const expiresAt = Math.floor(Date.now() / 1000) + state.expiresInS
    return { access_token: access, refresh_token: refresh, expires_at: expiresAt, expires_in: state.expiresInS, token_type: 'Bearer' }
  }

  function errorBody (kind: 'invalid_grant' | 'invalid_client', resource: string, field: string) {
    return state.errorStyle === 'oauth'
      ? { error: kind, error_description: 'invalid request' }
      : { message: 'Bad Request', errors: [{ resource, field, code: 'invalid' }] }
  }

  function rateHeaders (reply: FastifyReply, exhausted = false) {
    const usage = exhausted ? RATE_LIMIT : `${Math.min(calls.token, 199)},${Math.min(calls.token, 1999)}`
    reply.header('x-ratelimit-limit', RATE_LIMIT).header('x-ratelimit-usage', usage)
  }

  const app = Fastify()
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))))

  app.get('/oauth/authorize', async (request, reply) => {
    calls.authorize++
    const query = request.query as Record<string, string>
    if (query.client_id !== clientId) return reply.code(400).send(errorBody('invalid_client', 'Application', 'client_id'))
    const code = fake.issueCode(nextAthleteId++)
    const redirect = new URL(query.redirect_uri!)
    redirect.search = new URLSearchParams({ state: query.state ?? '', code, scope: query.scope ?? '' }).toString()
    return reply.redirect(redirect.href, 302)
  })

  app.post('/oauth/token', async (request, reply) => {
    if (state.latencyMs > 0) await sleep(state.latencyMs)
    if (request.raw.socket.destroyed) {
      calls.dropped++
      return reply.hijack()
    }
    calls.token++
    const body = (request.body ?? {}) as Record<string, string>
    const owner = body.grant_type === 'refresh_token' ? refreshOwnerEver.get(body.refresh_token ?? '') : undefined
    if (owner !== undefined) refreshCalls.set(owner, (refreshCalls.get(owner) ?? 0) + 1)
    if (body.grant_type === 'refresh_token') tokenCalls.set(body.refresh_token ?? '', (tokenCalls.get(body.refresh_token ?? '') ?? 0) + 1)
    const failure = pendingFailures.shift() ?? (random() < state.failureRate ? { status: 503 } : undefined)
    if (failure) {
      rateHeaders(reply, failure.exhausted)
      if (failure.retryAfterS !== undefined) reply.header('retry-after', String(failure.retryAfterS))
      // The message mentions "invalid" on purpose: clients must classify by status and codes.
      return reply.code(failure.status).send({ message: 'invalid upstream state, try later', errors: [] })
    }
    rateHeaders(reply)
    if (body.client_id !== clientId || body.client_secret !== clientSecret) {
      return reply.code(401).send(errorBody('invalid_client', 'Application', 'client_id'))
    }
    if (body.grant_type === 'refresh_token') {
      calls.refresh++
      const athleteId = refreshOwner.get(body.refresh_token ?? '')
      if (athleteId === undefined) return reply.code(400).send(errorBody('invalid_grant', 'RefreshToken', 'refresh_token'))
      return issueTokens(athleteId)
    }
    if (body.grant_type === 'authorization_code') {
      calls.exchange++
      const login = codes.get(body.code ?? '')
      if (!login) return reply.code(400).send(errorBody('invalid_grant', 'AuthorizationCode', 'code'))
      codes.delete(body.code!)
      return { ...issueTokens(login.athleteId), athlete: { id: login.athleteId, ...login.profile } }
    }
    return reply.code(400).send({ message: 'Bad Request', errors: [{ resource: 'Application', field: 'grant_type', code: 'invalid' }] })
  })

  app.post('/oauth/deauthorize', async (request, reply) => {
    calls.deauthorize++
    const token = ((request.body ?? {}) as Record<string, string>).access_token ?? ''
    const athleteId = accessOwner.get(token)
    if (athleteId === undefined) return reply.code(401).send({ message: 'Authorization Error', errors: [{ resource: 'Athlete', field: 'access_token', code: 'invalid' }] })
    const refresh = currentRefresh.get(athleteId)
    if (refresh) refreshOwner.delete(refresh)
    currentRefresh.delete(athleteId)
    return { access_token: token }
  })

  const address = await app.listen({ host: '127.0.0.1', port: 0 })

  const fake = {
    url: address,
    clientId,
    clientSecret,
    calls,
    state,
    /** An athlete who has logged in: returns the tokens Strava gave them. */
    addAthlete (athleteId: number): FakeTokenSet {
      return issueTokens(athleteId)
    },
    /** A single-use authorization code that logs this athlete in. */
    issueCode (athleteId: number, profile: Profile = { firstname: 'Fake', lastname: `Athlete ${athleteId}` }): string {
      const code = randomBytes(12).toString('hex')
      codes.set(code, { athleteId, profile })
      return code
    },
    currentRefreshToken: (athleteId: number) => currentRefresh.get(athleteId),
    refreshCallsFor: (athleteId: number) => refreshCalls.get(athleteId) ?? 0,
    refreshCallCounts: () => new Map(refreshCalls),
    /** Refresh calls that presented this refresh token, whether or not it was still valid. */
    callsWithToken: (refreshToken: string) => tokenCalls.get(refreshToken) ?? 0,
    /** Answers the next token calls with these failures, in order. */
    failNext (...failures: InjectedFailure[]) { pendingFailures.push(...failures) },
    /** Makes Strava forget an athlete's grant, as when they revoke access. */
    revoke (athleteId: number) {
      const refresh = currentRefresh.get(athleteId)
      if (refresh) refreshOwner.delete(refresh)
      currentRefresh.delete(athleteId)
    },
    close: () => app.close()
  }
  return fake
}

export type FakeStrava = Awaited<ReturnType<typeof startFakeStrava>>
