import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { ErrorResponse } from '../schemas/common.ts'
import { CallbackQuery, CallbackReply } from './schemas.ts'
import { authorizeUrl, completeLogin, createState, isValidState } from './oauth.ts'
import { StravaError } from './strava-client.ts'

const badRequest = (message: string) => ({ statusCode: 400, error: 'Bad Request', message })
const badGateway = (message: string) => ({ statusCode: 502, error: 'Bad Gateway', message })

const oauthRoutes: FastifyPluginAsyncTypebox = async app => {
  app.get('/auth/strava', {
    schema: { tags: ['auth'], summary: 'Start the Strava login: redirects to Strava with a signed state', querystring: Type.Object({}) }
  }, async (_request, reply) => {
    const { STRAVA_BASE_URL, STRAVA_CLIENT_ID, PUBLIC_URL } = app.config
    return reply.redirect(authorizeUrl({ baseUrl: STRAVA_BASE_URL, clientId: STRAVA_CLIENT_ID, publicUrl: PUBLIC_URL, state: createState(app.oauthStateKey) }), 302)
  })

  app.get('/auth/strava/callback', {
    schema: {
      tags: ['auth'],
      summary: 'Finish the Strava login: store the tokens and issue an API key',
      querystring: CallbackQuery,
      response: { 200: CallbackReply, 400: ErrorResponse, 502: ErrorResponse }
    }
  }, async (request, reply) => {
    const { code, state, scope, error } = request.query
    if (!isValidState(app.oauthStateKey, state)) return reply.code(400).send(badRequest('state is invalid or expired; start again at /auth/strava'))
    if (error || !code) return reply.code(400).send(badRequest('code: Strava did not grant access'))
    try {
      return await completeLogin({ db: app.db, cipher: app.tokenCipher, strava: app.strava }, code, scope ?? null)
    } catch (err) {
      if (!(err instanceof StravaError)) throw err
      request.log.warn({ failure: err.failure, status: err.status }, 'Strava code exchange failed')
      if (err.failure === 'reauthorize' || err.failure === 'rejected') return reply.code(400).send(badRequest('code: Strava rejected the authorization code; start again at /auth/strava'))
      return reply.code(502).send(badGateway(err.failure === 'misconfigured'
        ? 'Strava rejected the service\'s client credentials.'
        : 'Strava did not answer; try again shortly.'))
    }
  })
}

export default oauthRoutes
