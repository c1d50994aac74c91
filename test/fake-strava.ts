import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify'
import { FakeActivityStore, FakeRateLimits, registerApiRoutes } from './fake-strava-api.ts'

export interface FakeStravaOptions {
  clientId?: string
  clientSecret?: string
  /** Delay before a token call is handled. */
  latencyMs?: number
  /** Delay before an API call (activity list, activity) is handled. */
  apiLatencyMs?: number
  /** Share of token calls answered 503 at random. */
  failureRate?: number
  /** `strava`: `{ message, errors: [{ resource, field, code }] }`; `oauth`: `{ error }`. */
  errorStyle?: 'strava' | 'oauth'
  /** Lifetime of issued access tokens. */
  expiresInS?: number
  /** The scopes the athlete grants on the authorize page; by default the ones asked for. */
  grantedScope?: string
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

const increment = <K>(map: Map<K, number>, key: K) => map.set(key, (map.get(key) ?? 0) + 1)

/** Strava's side of every grant: who holds which token, which codes are open, what was called. */
class FakeStravaLedger {
  readonly calls = { token: 0, refresh: 0, exchange: 0, authorize: 0, deauthorize: 0, dropped: 0 }
  readonly currentRefresh = new Map<number, string>()
  readonly refreshCalls = new Map<number, number>()
  readonly tokenCalls = new Map<string, number>()
  private readonly refreshOwner = new Map<string, number>()
  // Every refresh token ever issued, so calls with a rotated-out token still count per athlete.
  private readonly refreshOwnerEver = new Map<string, number>()
  private readonly accessOwner = new Map<string, number>()
  private readonly accessExpiry = new Map<string, number>()
  // Each athlete's access tokens, so that rejecting them does not scan every token ever issued.
  private readonly accessTokensOf = new Map<number, string[]>()
  private readonly codes = new Map<string, { athleteId: number, profile: Profile }>()
  private issued = 0

  constructor (private readonly expiresInS: () => number) {}

  issueTokens (athleteId: number): FakeTokenSet {
    this.issued++
    const nonce = randomBytes(9).toString('base64url')
    const access = `fake-access-${athleteId}-${this.issued}-${nonce}`
    const refresh = `fake-refresh-${athleteId}-${this.issued}-${nonce}`
    this.revoke(athleteId)
    this.currentRefresh.set(athleteId, refresh)
    this.refreshOwner.set(refresh, athleteId)
    this.refreshOwnerEver.set(refresh, athleteId)
    this.accessOwner.set(access, athleteId)
    this.accessTokensOf.set(athleteId, [...this.accessTokensOf.get(athleteId) ?? [], access])
    const expiresIn = this.expiresInS()
    this.accessExpiry.set(access, Date.now() + expiresIn * 1000)
    return { access_token: access, refresh_token: refresh, expires_at: Math.floor(Date.now() / 1000) + expiresIn, expires_in: expiresIn, token_type: 'Bearer' }
  }

  issueCode (athleteId: number, profile: Profile): string {
    const code = randomBytes(12).toString('hex')
    this.codes.set(code, { athleteId, profile })
    return code
  }

  countRefreshCall (refreshToken: string): void {
    increment(this.tokenCalls, refreshToken)
    const owner = this.refreshOwnerEver.get(refreshToken)
    if (owner !== undefined) increment(this.refreshCalls, owner)
  }

  /** Rotates the token, or undefined when it is not the one currently honoured. */
  refresh (refreshToken: string): FakeTokenSet | undefined {
    const athleteId = this.refreshOwner.get(refreshToken)
    return athleteId === undefined ? undefined : this.issueTokens(athleteId)
  }

  /** Single use: a code works once. */
  exchange (code: string) {
    const login = this.codes.get(code)
    if (!login) return undefined
    this.codes.delete(code)
    return { ...this.issueTokens(login.athleteId), athlete: { id: login.athleteId, ...login.profile } }
  }

  athleteOfAccessToken = (accessToken: string) => this.accessOwner.get(accessToken)

  /** The owner of an access token the API still honours: known, not expired, not revoked. */
  apiAthleteOf = (accessToken: string) => {
    const athleteId = this.accessOwner.get(accessToken)
    return athleteId !== undefined && (this.accessExpiry.get(accessToken) ?? 0) > Date.now() ? athleteId : undefined
  }

  /** Makes the API refuse every access token issued so far to this athlete (401). */
  rejectAccessTokens (athleteId: number): void {
    for (const token of this.accessTokensOf.get(athleteId) ?? []) this.accessExpiry.set(token, 0)
  }

  revoke (athleteId: number): void {
    const refresh = this.currentRefresh.get(athleteId)
    if (refresh) this.refreshOwner.delete(refresh)
    this.currentRefresh.delete(athleteId)
    this.rejectAccessTokens(athleteId)
  }
}

interface FakeSettings {
  clientId: string
  clientSecret: string
  random: () => number
  state: { latencyMs: number, apiLatencyMs: number, failureRate: number, errorStyle: 'strava' | 'oauth', expiresInS: number, grantedScope?: string }
  pendingFailures: InjectedFailure[]
}

function errorBody (settings: FakeSettings, kind: 'invalid_grant' | 'invalid_client', resource: string, field: string) {
  return settings.state.errorStyle === 'oauth'
    ? { error: kind, error_description: 'invalid request' }
    : { message: 'Bad Request', errors: [{ resource, field, code: 'invalid' }] }
}

function sendFailure (reply: FastifyReply, failure: InjectedFailure) {
  reply.header('x-ratelimit-limit', RATE_LIMIT)
  if (failure.exhausted) reply.header('x-ratelimit-usage', RATE_LIMIT)
  if (failure.retryAfterS !== undefined) reply.header('retry-after', String(failure.retryAfterS))
  // The message mentions "invalid" on purpose: clients must classify by status and codes.
  return reply.code(failure.status).send({ message: 'invalid upstream state, try later', errors: [] })
}

function answerGrant (settings: FakeSettings, ledger: FakeStravaLedger, body: Record<string, string>, reply: FastifyReply) {
  if (body.client_id !== settings.clientId || body.client_secret !== settings.clientSecret) {
    return reply.code(401).send(errorBody(settings, 'invalid_client', 'Application', 'client_id'))
  }
  if (body.grant_type === 'refresh_token') {
    ledger.calls.refresh++
    return ledger.refresh(body.refresh_token ?? '') ?? reply.code(400).send(errorBody(settings, 'invalid_grant', 'RefreshToken', 'refresh_token'))
  }
  if (body.grant_type === 'authorization_code') {
    ledger.calls.exchange++
    return ledger.exchange(body.code ?? '') ?? reply.code(400).send(errorBody(settings, 'invalid_grant', 'AuthorizationCode', 'code'))
  }
  return reply.code(400).send({ message: 'Bad Request', errors: [{ resource: 'Application', field: 'grant_type', code: 'invalid' }] })
}

function registerRoutes (app: FastifyInstance, settings: FakeSettings, ledger: FakeStravaLedger) {
  let nextAthleteId = 90_000
  app.get('/oauth/authorize', async (request, reply) => {
    ledger.calls.authorize++
    const query = request.query as Record<string, string>
    if (query.client_id !== settings.clientId) return reply.code(400).send(errorBody(settings, 'invalid_client', 'Application', 'client_id'))
    const athleteId = nextAthleteId++
    const code = ledger.issueCode(athleteId, { firstname: 'Fake', lastname: `Athlete ${athleteId}` })
    const redirect = new URL(query.redirect_uri!)
    // Strava reports the scopes the athlete left ticked, which may be fewer than asked for.
    redirect.search = new URLSearchParams({ state: query.state ?? '', code, scope: settings.state.grantedScope ?? query.scope ?? '' }).toString()
    return reply.redirect(redirect.href, 302)
  })

  app.post('/oauth/token', async (request, reply) => {
    if (settings.state.latencyMs > 0) await sleep(settings.state.latencyMs)
    if (request.raw.socket.destroyed) {
      ledger.calls.dropped++
      return reply.hijack()
    }
    const { calls } = ledger
    calls.token++
    const body = (request.body ?? {}) as Record<string, string>
    if (body.grant_type === 'refresh_token') ledger.countRefreshCall(body.refresh_token ?? '')
    const failure = settings.pendingFailures.shift() ?? (settings.random() < settings.state.failureRate ? { status: 503 } : undefined)
    if (failure) return sendFailure(reply, failure)
    reply.header('x-ratelimit-limit', RATE_LIMIT).header('x-ratelimit-usage', `${Math.min(calls.token, 199)},${Math.min(calls.token, 1999)}`)
    return answerGrant(settings, ledger, body, reply)
  })

  app.post('/oauth/deauthorize', async (request, reply) => {
    ledger.calls.deauthorize++
    const token = ((request.body ?? {}) as Record<string, string>).access_token ?? ''
    const athleteId = ledger.athleteOfAccessToken(token)
    if (athleteId === undefined) return reply.code(401).send({ message: 'Authorization Error', errors: [{ resource: 'Athlete', field: 'access_token', code: 'invalid' }] })
    ledger.revoke(athleteId)
    return { access_token: token }
  })
}

/** The application's webhook subscription as Strava lists it: at most one. */
export interface FakePushSubscription {
  id: number
  resource_state: 2
  application_id: number
  callback_url: string
  created_at: string
  updated_at: string
}

const pushSubscriptionError = (field: string, code: string) =>
  ({ message: 'Bad Request', errors: [{ resource: 'PushSubscription', field, code }] })

/**
 * Strava's push subscription API. Creating a subscription first checks the callback as Strava
 * does: a GET with `hub.mode=subscribe`, a random `hub.challenge` and the verify token, which
 * must answer 200 with the challenge echoed within 2 s, or the POST is refused with a 400.
 */
function registerPushSubscriptionRoutes (app: FastifyInstance, settings: FakeSettings, subscriptions: { current?: FakePushSubscription, nextId: number }) {
  const credentialsOk = (params: Record<string, string> | undefined) =>
    params?.client_id === settings.clientId && params?.client_secret === settings.clientSecret
  const refuseCredentials = (reply: FastifyReply) =>
    reply.code(401).send({ message: 'Authorization Error', errors: [{ resource: 'Application', field: 'client_id', code: 'invalid' }] })

  app.post('/api/v3/push_subscriptions', async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, string>
    if (!credentialsOk(body)) return refuseCredentials(reply)
    if (!body.callback_url) return reply.code(400).send(pushSubscriptionError('callback_url', 'missing'))
    if (!body.verify_token) return reply.code(400).send(pushSubscriptionError('verify_token', 'missing'))
    if (subscriptions.current) return reply.code(400).send(pushSubscriptionError('', 'already exists'))
    const challenge = randomBytes(12).toString('hex')
    const check = new URL(body.callback_url)
    check.search = new URLSearchParams({ 'hub.mode': 'subscribe', 'hub.challenge': challenge, 'hub.verify_token': body.verify_token }).toString()
    const unanswered = () => reply.code(400).send(pushSubscriptionError('callback url', 'GET to callback URL does not return 200'))
    let echo: unknown
    try {
      const response = await fetch(check, { signal: AbortSignal.timeout(2000) })
      if (response.status !== 200) {
        await response.body?.cancel()
        return unanswered()
      }
      echo = await response.json().catch(() => undefined)
    } catch {
      return unanswered()
    }
    if ((echo as Record<string, unknown> | undefined)?.['hub.challenge'] !== challenge) {
      return reply.code(400).send(pushSubscriptionError('callback url', 'not verifiable'))
    }
    const now = new Date().toISOString()
    subscriptions.current = { id: subscriptions.nextId++, resource_state: 2, application_id: Number(settings.clientId), callback_url: body.callback_url, created_at: now, updated_at: now }
    return reply.code(201).send({ id: subscriptions.current.id })
  })

  app.get('/api/v3/push_subscriptions', async (request, reply) => {
    if (!credentialsOk(request.query as Record<string, string>)) return refuseCredentials(reply)
    return subscriptions.current ? [subscriptions.current] : []
  })

  app.delete('/api/v3/push_subscriptions/:id', async (request, reply) => {
    if (!credentialsOk(request.query as Record<string, string>)) return refuseCredentials(reply)
    const { id } = request.params as { id: string }
    if (subscriptions.current?.id !== Number(id)) return reply.code(404).send({ message: 'Record Not Found', errors: [{ resource: 'PushSubscription', field: 'id', code: 'not found' }] })
    subscriptions.current = undefined
    return reply.code(204).send()
  })
}

/**
 * A stand-in for Strava's OAuth endpoints on 127.0.0.1. It rotates refresh tokens on every
 * refresh (the old one stops working), answers invalid_grant for tokens it does not
 * currently honour and invalid_client for wrong credentials, and counts every call. A call
 * whose client has gone away during the latency is dropped unprocessed, so a client timeout
 * or a killed process does not rotate a token behind the caller's back.
 */
export async function startFakeStrava (options: FakeStravaOptions = {}) {
  const settings: FakeSettings = {
    clientId: options.clientId ?? '4242',
    clientSecret: options.clientSecret ?? 'fake-client-secret',
    random: options.random ?? Math.random,
    state: {
      latencyMs: options.latencyMs ?? 0,
      apiLatencyMs: options.apiLatencyMs ?? 0,
      failureRate: options.failureRate ?? 0,
      errorStyle: options.errorStyle ?? 'strava',
      expiresInS: options.expiresInS ?? 6 * 3600,
      grantedScope: options.grantedScope
    },
    pendingFailures: []
  }
  const ledger = new FakeStravaLedger(() => settings.state.expiresInS)
  const activities = new FakeActivityStore()
  const rateLimits = new FakeRateLimits()
  const app = Fastify()
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))))
  registerRoutes(app, settings, ledger)
  const subscriptions: { current?: FakePushSubscription, nextId: number } = { nextId: 120_000 }
  registerPushSubscriptionRoutes(app, settings, subscriptions)
  registerApiRoutes(app, activities, rateLimits, { athleteOf: ledger.apiAthleteOf, latencyMs: () => settings.state.apiLatencyMs })
  const url = await app.listen({ host: '127.0.0.1', port: 0 })

  return {
    url,
    clientId: settings.clientId,
    clientSecret: settings.clientSecret,
    calls: ledger.calls,
    /** Token and API latency, failure rate, error style, token lifetime and granted scope; change them between phases. */
    state: settings.state,
    /** An athlete who has logged in: returns the tokens Strava gave them. */
    addAthlete: (athleteId: number): FakeTokenSet => ledger.issueTokens(athleteId),
    /** A single-use authorization code that logs this athlete in. */
    issueCode: (athleteId: number, profile: Profile = { firstname: 'Fake', lastname: `Athlete ${athleteId}` }) => ledger.issueCode(athleteId, profile),
    currentRefreshToken: (athleteId: number) => ledger.currentRefresh.get(athleteId),
    refreshCallsFor: (athleteId: number) => ledger.refreshCalls.get(athleteId) ?? 0,
    refreshCallCounts: () => new Map(ledger.refreshCalls),
    /** Refresh calls that presented this refresh token, whether or not it was still valid. */
    callsWithToken: (refreshToken: string) => ledger.tokenCalls.get(refreshToken) ?? 0,
    /** Answers the next token calls with these failures, in order. */
    failNext: (...failures: InjectedFailure[]) => { settings.pendingFailures.push(...failures) },
    /** Makes Strava forget an athlete's grant, as when they revoke access. */
    revoke: (athleteId: number) => ledger.revoke(athleteId),
    /** Every athlete's activities, served newest first by the API; `hidden` ones make short pages. */
    activities,
    /** Limits, usage and 429s served; `rollWindow()` starts a new quarter hour. */
    rateLimits,
    /** Makes the API answer 401 to this athlete's access tokens until a refresh issues a new one. */
    rejectAccessTokens: (athleteId: number) => ledger.rejectAccessTokens(athleteId),
    /** Delivers a webhook event to `callbackUrl` as Strava does: a JSON POST. Resolves to the status. */
    sendWebhook: async (callbackUrl: string, event: Record<string, unknown>) => {
      const response = await fetch(callbackUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) })
      await response.body?.cancel()
      return response.status
    },
    /** The application's webhook subscription, once one was made and until it is deleted. */
    pushSubscription: () => subscriptions.current,
    close: () => app.close()
  }
}

export type FakeStrava = Awaited<ReturnType<typeof startFakeStrava>>
