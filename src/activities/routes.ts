import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { AthleteParams, ErrorResponse } from '../schemas/common.ts'
import {
  ActivityList, ActivityListQuery, ActivityParams, UPSERT_ACTIVITIES_BODY_LIMIT, UpsertActivitiesBody, UpsertActivitiesReply
} from './schemas.ts'
import { deleteActivity, listActivities, upsertActivities } from './service.ts'

const activityRoutes: FastifyPluginAsyncTypebox = async app => {
  app.put('/api/athletes/:athleteId/activities', {
    bodyLimit: UPSERT_ACTIVITIES_BODY_LIMIT,
    schema: {
      tags: ['activities'],
      summary: 'Upsert a batch of activities and bring ACWR up to date, all or nothing',
      params: AthleteParams,
      body: UpsertActivitiesBody,
      response: { 200: UpsertActivitiesReply, 400: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse, 413: ErrorResponse }
    }
  }, async request =>
    upsertActivities(app.db, request.params.athleteId, request.body.activities, 'api', { maxActivities: app.config.MAX_ACTIVITIES_PER_ATHLETE }))

  app.get('/api/athletes/:athleteId/activities', {
    schema: {
      tags: ['activities'],
      summary: 'List activities, newest first, keyset-paginated',
      params: AthleteParams,
      querystring: ActivityListQuery,
      response: { 200: ActivityList, 400: ErrorResponse, 404: ErrorResponse }
    }
  }, async request => listActivities(app.db, request.params.athleteId, request.query))

  app.delete('/api/athletes/:athleteId/activities/:activityId', {
    schema: {
      tags: ['activities'],
      summary: 'Delete an activity and recompute ACWR from its day',
      params: ActivityParams,
      response: { 204: Type.Null(), 404: ErrorResponse }
    }
  }, async (request, reply) => {
    await deleteActivity(app.db, request.params.athleteId, request.params.activityId)
    return reply.code(204).send(null)
  })
}

export default activityRoutes
