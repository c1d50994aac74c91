import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { AthleteParams, ErrorResponse } from '../schemas/common.ts'
import { Athlete, SETTINGS_PATCH_BODY_LIMIT, SettingsPatch } from './schemas.ts'
import { getAthlete, updateSettings } from './service.ts'

/** An athlete's own routes: their profile and ACWR settings. */
const athleteRoutes: FastifyPluginAsyncTypebox = async app => {
  app.get('/api/athletes/:athleteId', {
    schema: {
      tags: ['athletes'],
      summary: 'An athlete and their ACWR settings',
      params: AthleteParams,
      response: { 200: Athlete, 404: ErrorResponse }
    }
  }, async request => getAthlete(app.db, request.params.athleteId))

  app.patch('/api/athletes/:athleteId/settings', {
    bodyLimit: SETTINGS_PATCH_BODY_LIMIT,
    schema: {
      tags: ['athletes'],
      summary: 'Change settings and recompute the athlete\'s ACWR history in the same transaction',
      params: AthleteParams,
      body: SettingsPatch,
      response: { 200: Athlete, 400: ErrorResponse, 404: ErrorResponse, 413: ErrorResponse }
    }
  }, async request => updateSettings(app.db, request.params.athleteId, request.body))
}

export default athleteRoutes
