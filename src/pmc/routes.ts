import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { AthleteParams, ErrorResponse } from '../schemas/common.ts'
import { PmcQuery, PmcSeries } from './schemas.ts'
import { pmcSeries } from './service.ts'

const pmcRoutes: FastifyPluginAsyncTypebox = async app => {
  app.get('/api/athletes/:athleteId/pmc', {
    schema: {
      tags: ['pmc'],
      summary: 'Daily performance management chart (CTL, ATL, TSB, ramp rate, monotony, strain), by default the last 90 days',
      params: AthleteParams,
      querystring: PmcQuery,
      response: { 200: PmcSeries, 400: ErrorResponse, 404: ErrorResponse }
    }
  }, async request => pmcSeries(app.db, request.params.athleteId, request.query))
}

export default pmcRoutes
