import cookie from '@fastify/cookie'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { onSendAsyncHookHandler } from 'fastify'
import { Type, type Static } from 'typebox'
import { ErrorResponse } from '../schemas/common.ts'
import { stravaLoginConfigured } from '../config.ts'
import { CallbackQuery, CallbackReply } from './schemas.ts'
import { authorizeUrl, completeLogin, createState, grantsActivities, stateExpiry } from './oauth.ts'
import { consumeState, cookieMatchesState, STATE_COOKIE, stateCookieOptions } from './oauth-states.ts'
import { StravaError } from './strava-client.ts'
import { loginCompletePage, loginFailedPage, prefersHtml } from './login-page.ts'
import { notifyTokensSaved } from './store.ts'

const badRequest = (message: string) => ({ statusCode: 400, error: 'Bad Request', message })
const badGateway = (message: string) => ({ statusCode: 502, error: 'Bad Gateway', message })
const START_AGAIN = 'start again at /auth/strava'

/**
 * Callbacks one client address may make per minute. Each one that passes the state checks
 * costs a call to Strava, whose limits (200 per 15 minutes, 2,000 a day) the whole service
 * shares; a person logging in needs one.
 */
export const OAUTH_CALLBACK_LIMIT = { max: 10, timeWindow: 60_000 }

type Callback = Static<typeof CallbackQuery>

/**
 * The callback's reply, as a page for a browser that followed Strava's redirect: the new key
 * handed to the dashboard, or the refusal with a way back, under the same status. API clients
 * (Accept: application/json, or none) get the JSON unchanged. It is never stored by a cache:
 * it carries an API key.
 */
const callbackForBrowser: onSendAsyncHookHandler<unknown> = async (request, reply, payload) => {
  reply.header('cache-control', 'no-store').header('vary', 'Accept')
  if (!prefersHtml(request.headers.accept) || typeof payload !== 'string') return payload
  const body = JSON.parse(payload)
  reply.type('text/html; charset=utf-8')
  return reply.statusCode === 200 ? loginCompletePage(body) : loginFailedPage(body.message)
}

const oauthRoutes: FastifyPluginAsyncTypebox = async app => {
  // Only these routes read cookies.
  await app.register(cookie)
  const cookieOptions = stateCookieOptions(app.config.PUBLIC_URL)

  /** Why the callback's state cannot complete a login, or undefined; a valid one is used up. */
  async function refuseState (state: string, cookie: string | undefined): Promise<string | undefined> {
    const expiresAt = stateExpiry(app.oauthStateKey, state)
    if (expiresAt === undefined) return `state is invalid or expired; ${START_AGAIN}`
    if (!cookieMatchesState(cookie, state)) {
      return `state does not belong to this browser: the login must end in the browser that started it, which holds its cookie; ${START_AGAIN}`
    }
    if (!await consumeState(app.db, state, expiresAt)) return `state has already been used; ${START_AGAIN}`
    return undefined
  }

  /** Why what Strava granted cannot complete a login, or undefined. */
  function refuseGrant ({ code, scope, error }: Callback): string | undefined {
    if (error || !code) return `code: Strava did not grant access; ${START_AGAIN}`
    if (!grantsActivities(scope)) {
      return `scope: trainload needs permission to read your activities; on Strava's page allow "View data about your activities" (activity:read_all or activity:read), then ${START_AGAIN}`
    }
    return undefined
  }

  app.get('/auth/strava', {
    schema: {
      tags: ['auth'],
      summary: 'Start the Strava login: redirects to Strava with a signed state, bound to this browser by a cookie',
      description: 'A 404 when this server has no Strava application configured (GET /health says so in `stravaLogin`).',
      querystring: Type.Object({}),
      response: { 404: ErrorResponse }
    }
  }, async (_request, reply) => {
    // Without a client id Strava would show its own error page; saying so here is clearer.
    if (!stravaLoginConfigured(app.config)) throw app.httpErrors.notFound('Strava login is not configured on this server: its operator must set STRAVA_CLIENT_ID and STRAVA_CLIENT_SECRET')
    const { STRAVA_BASE_URL, STRAVA_CLIENT_ID, PUBLIC_URL } = app.config
    const state = createState(app.oauthStateKey)
    reply.setCookie(STATE_COOKIE, state, cookieOptions)
    return reply.redirect(authorizeUrl({ baseUrl: STRAVA_BASE_URL, clientId: STRAVA_CLIENT_ID, publicUrl: PUBLIC_URL, state }), 302)
  })

  app.get('/auth/strava/callback', {
    config: { rateLimit: OAUTH_CALLBACK_LIMIT },
    onSend: callbackForBrowser,
    schema: {
      tags: ['auth'],
      summary: 'Finish the Strava login: store the tokens and issue an API key',
      description: `A state works once, and only in the browser that started the login. At most ${OAUTH_CALLBACK_LIMIT.max} callbacks a minute per client address. ` +
        'A browser (Accept preferring text/html) gets a page that signs it in to the dashboard, or one that explains the refusal, under the same status.',
      querystring: CallbackQuery,
      response: { 200: CallbackReply, 400: ErrorResponse, 429: ErrorResponse, 502: ErrorResponse }
    }
  }, async (request, reply) => {
    reply.clearCookie(STATE_COOKIE, { path: cookieOptions.path })
    const refusal = await refuseState(request.query.state, request.cookies[STATE_COOKIE]) ?? refuseGrant(request.query)
    if (refusal) return reply.code(400).send(badRequest(refusal))
    try {
      const login = await completeLogin({ db: app.db, cipher: app.tokenCipher, strava: app.strava }, request.query.code!, request.query.scope ?? null)
      await notifyTokensSaved(app, [login.athleteId], request.log)
      return login
    } catch (err) {
      if (!(err instanceof StravaError)) throw err
      request.log.warn({ failure: err.failure, status: err.status }, 'Strava code exchange failed')
      if (err.failure === 'reauthorize' || err.failure === 'rejected') return reply.code(400).send(badRequest(`code: Strava rejected the authorization code; ${START_AGAIN}`))
      return reply.code(502).send(badGateway(stravaProblem(err)))
    }
  })
}

/** What a 502 says: the upstream problem, with nothing stored. */
function stravaProblem (err: StravaError): string {
  if (err.failure === 'misconfigured') return 'Strava rejected the service\'s client credentials.'
  if (err.failure === 'malformed') return `${err.message}; nothing was stored.`
  return 'Strava did not answer; try again shortly.'
}

export default oauthRoutes
