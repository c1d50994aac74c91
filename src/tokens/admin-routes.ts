import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ErrorResponse } from '../schemas/common.ts'
import {
  CleanupBody, CleanupReply, REFRESH_TOKENS_BODY_LIMIT, RefreshTokensBody, RefreshTokensReply, SAVE_TOKENS_BODY_LIMIT, SaveTokensBody, SaveTokensReply,
  TokenHealthQuery, TokenHealthReply
} from './schemas.ts'
import { tokenHealthReport } from './health.ts'
import { deleteLongInvalidTokens } from './queries.ts'
import { StravaMisconfiguredError } from './refresh.ts'
import { notifyTokensSaved, saveTokens, TokenBatchError } from './store.ts'

const tokenAdminRoutes: FastifyPluginAsyncTypebox = async app => {
  // The optional bodies may be left out entirely; their defaults then apply.
  app.addHook('preValidation', async request => { request.body ??= {} })

  app.put('/admin/strava-tokens', {
    bodyLimit: SAVE_TOKENS_BODY_LIMIT,
    schema: {
      tags: ['tokens'],
      summary: 'Save Strava tokens in one transaction, encrypted',
      body: SaveTokensBody,
      response: { 200: SaveTokensReply, 400: ErrorResponse, 404: ErrorResponse, 413: ErrorResponse }
    }
  }, async (request, reply) => {
    try {
      const saved = await saveTokens(app.db, app.tokenCipher, request.body.tokens)
      await notifyTokensSaved(app, request.body.tokens.map(token => token.athleteId), request.log)
      return { saved }
    } catch (err) {
      if (err instanceof TokenBatchError) return reply.code(err.statusCode).send({ statusCode: err.statusCode, error: err.statusCode === 400 ? 'Bad Request' : 'Not Found', message: err.message })
      throw err
    }
  })

  app.post('/admin/batch-refresh-tokens', {
    bodyLimit: REFRESH_TOKENS_BODY_LIMIT,
    schema: {
      tags: ['tokens'],
      summary: 'Refresh every due Strava token now',
      body: RefreshTokensBody,
      response: { 200: RefreshTokensReply, 413: ErrorResponse, 502: ErrorResponse }
    }
  }, async (request, reply) => {
    try {
      return await app.refreshTokens(request.body)
    } catch (err) {
      if (!(err instanceof StravaMisconfiguredError)) throw err
      request.log.error(err.message)
      return reply.code(502).send({ statusCode: 502, error: 'Bad Gateway', message: err.message })
    }
  })

  app.get('/admin/token-health-report', {
    schema: {
      tags: ['tokens'],
      summary: 'Token summary and a paged list of athletes by token status',
      querystring: TokenHealthQuery,
      response: { 200: TokenHealthReply }
    }
  }, async request => {
    const { status, limit, cursor } = request.query
    return tokenHealthReport(app.db, { status, limit, afterAthleteId: cursor === undefined ? undefined : Number(cursor) })
  })

  app.post('/admin/strava-tokens/cleanup', {
    schema: {
      tags: ['tokens'],
      summary: 'Delete tokens Strava has rejected for at least invalidForDays days',
      body: CleanupBody,
      response: { 200: CleanupReply }
    }
  }, async request => ({ deleted: await deleteLongInvalidTokens(app.db, request.body.invalidForDays) }))
}

export default tokenAdminRoutes
