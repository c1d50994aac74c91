import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { AthleteParams, ErrorResponse } from '../schemas/common.ts'
import { AcwrLatest, AcwrQuery, AcwrSeries, RECALCULATE_BODY_LIMIT, RecalculateBody, RecalculateReply } from './schemas.ts'
import { acwrSeries, latestAcwr } from './service.ts'
import { recalculateAcwr } from './recalculate.ts'

const acwrRoutes: FastifyPluginAsyncTypebox = async app => {
  app.post('/admin/batch-recalculate-acwr', {
    bodyLimit: RECALCULATE_BODY_LIMIT,
    // No body at all means "roll every athlete forward"; validation sees it as null.
    preValidation: async request => { request.body ??= null },
    schema: {
      tags: ['acwr'],
      summary: 'Recompute ACWR for the given athletes (or all) from a day (or their whole history); without a body, roll every athlete forward to today',
      body: RecalculateBody,
      response: { 200: RecalculateReply, 400: ErrorResponse, 404: ErrorResponse, 413: ErrorResponse }
    }
  }, async request => {
    const body = request.body
    return recalculateAcwr(app.db, {
      athleteIds: body?.athleteIds,
      from: body === null ? 'roll-forward' : body.from ?? null,
      batchSize: app.config.ACWR_BATCH_ATHLETES,
      concurrency: app.config.ACWR_RECOMPUTE_CONCURRENCY,
      onAthleteFailed: (athleteId, err) => request.log.error({ err, athleteId }, 'ACWR recompute failed for one athlete')
    })
  })

  app.get('/api/athletes/:athleteId/acwr', {
    schema: {
      tags: ['acwr'],
      summary: 'Daily ACWR series, by default the last 90 days',
      params: AthleteParams,
      querystring: AcwrQuery,
      response: { 200: AcwrSeries, 400: ErrorResponse, 404: ErrorResponse }
    }
  }, async request => acwrSeries(app.db, request.params.athleteId, request.query))

  app.get('/api/athletes/:athleteId/acwr/latest', {
    schema: {
      tags: ['acwr'],
      summary: 'Today\'s ACWR and its zone',
      params: AthleteParams,
      response: { 200: AcwrLatest, 404: ErrorResponse }
    }
  }, async request => latestAcwr(app.db, request.params.athleteId))
}

export default acwrRoutes
