import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { AthleteParams, ErrorResponse } from '../schemas/common.ts'
import { issueApiKey } from './api-keys.ts'
import { ApiKeyReply, Athlete, SettingsPatch, UpsertAthletesBody, UpsertAthletesReply } from './schemas.ts'
import { getAthlete, updateSettings, upsertAthletes } from './service.ts'

const athleteRoutes: FastifyPluginAsyncTypebox = async app => {
  app.put('/admin/athletes', {
    schema: {
      tags: ['athletes'],
      summary: 'Upsert athletes keyed by Strava athlete id',
      body: UpsertAthletesBody,
      response: { 200: UpsertAthletesReply, 400: ErrorResponse }
    }
  }, async request => ({ athletes: await upsertAthletes(app.db, request.body.athletes) }))

  app.post('/admin/athletes/:athleteId/api-keys', {
    schema: {
      tags: ['athletes'],
      summary: 'Issue an API key for an athlete; the key is shown once',
      params: AthleteParams,
      response: { 201: ApiKeyReply, 404: ErrorResponse }
    }
  }, async (request, reply) => {
    const { athleteId } = request.params
    await getAthlete(app.db, athleteId)
    return reply.code(201).send(await issueApiKey(app.db, athleteId))
  })

  app.get('/api/athletes/:athleteId', {
    schema: {
      tags: ['athletes'],
      summary: 'An athlete and their ACWR settings',
      params: AthleteParams,
      response: { 200: Athlete, 404: ErrorResponse }
    }
  }, async request => getAthlete(app.db, request.params.athleteId))

  app.patch('/api/athletes/:athleteId/settings', {
    schema: {
      tags: ['athletes'],
      summary: 'Change settings and recompute the athlete\'s ACWR history in the same transaction',
      params: AthleteParams,
      body: SettingsPatch,
      response: { 200: Athlete, 400: ErrorResponse, 404: ErrorResponse }
    }
  }, async request => updateSettings(app.db, request.params.athleteId, request.body))
}

export default athleteRoutes
