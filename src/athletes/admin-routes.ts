import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { AthleteParams, ErrorResponse } from '../schemas/common.ts'
import { issueApiKey } from './api-keys.ts'
import { listAthletesPage } from './queries.ts'
import { ApiKeyReply, AthleteList, AthleteListQuery, UPSERT_ATHLETES_BODY_LIMIT, UpsertAthletesBody, UpsertAthletesReply } from './schemas.ts'
import { getAthlete, upsertAthletes } from './service.ts'

/** The operator's athlete routes: listing, the batch upsert, and issuing API keys. */
const adminAthleteRoutes: FastifyPluginAsyncTypebox = async app => {
  app.get('/admin/athletes', {
    schema: {
      tags: ['athletes'],
      summary: 'List athletes, for pickers and operators',
      description: 'Admin only. Pages through athletes in id order.',
      querystring: AthleteListQuery,
      response: { 200: AthleteList, 400: ErrorResponse, 401: ErrorResponse }
    }
  }, async request => {
    const { limit, cursor } = request.query
    return listAthletesPage(app.db, { limit, afterId: cursor === undefined ? undefined : Number(cursor) })
  })

  app.put('/admin/athletes', {
    bodyLimit: UPSERT_ATHLETES_BODY_LIMIT,
    schema: {
      tags: ['athletes'],
      summary: 'Upsert athletes keyed by Strava athlete id',
      body: UpsertAthletesBody,
      response: { 200: UpsertAthletesReply, 400: ErrorResponse, 413: ErrorResponse }
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
}

export default adminAthleteRoutes
