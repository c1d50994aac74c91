import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { AthleteParams, ErrorResponse } from '../schemas/common.ts'
import { disconnectAthlete } from './disconnect.ts'
import { AdminSyncBody, AdminSyncReply, FleetStatusReply, SyncQueuedReply, SyncRequestBody, SyncStatusReply } from './schemas.ts'
import { fleetStatus, queueAthleteSyncs, requestSync, syncStatus } from './service.ts'

const syncRoutes: FastifyPluginAsyncTypebox = async app => {
  // The optional bodies may be left out entirely.
  app.addHook('preValidation', async request => {
    if (request.method === 'POST') request.body ??= {}
  })

  app.post('/api/athletes/:athleteId/strava/sync', {
    schema: {
      tags: ['strava'],
      summary: 'Queue a Strava sync of this athlete (the backfill while incomplete, else the recent window)',
      params: AthleteParams,
      body: SyncRequestBody,
      response: { 202: SyncQueuedReply, 404: ErrorResponse, 409: ErrorResponse }
    }
  }, async (request, reply) => reply.code(202).send(await requestSync(app.db, request.params.athleteId, request.body)))

  app.get('/api/athletes/:athleteId/strava/sync', {
    schema: {
      tags: ['strava'],
      summary: 'This athlete\'s Strava sync state',
      params: AthleteParams,
      response: { 200: SyncStatusReply, 404: ErrorResponse }
    }
  }, async request => syncStatus(app.db, request.params.athleteId))

  app.delete('/api/athletes/:athleteId/strava', {
    schema: {
      tags: ['strava'],
      summary: 'Disconnect Strava: revoke the grant, delete the tokens and every Strava-sourced activity',
      params: AthleteParams,
      response: { 204: Type.Null(), 404: ErrorResponse }
    }
  }, async (request, reply) => {
    await disconnectAthlete(app.stravaSync, request.params.athleteId, { tellStrava: true, log: request.log, reason: 'disconnected by request' })
    return reply.code(204).send(null)
  })

  app.post('/admin/strava/sync', {
    schema: {
      tags: ['strava'],
      summary: 'Queue a Strava sync of the named athletes, or of every connected athlete',
      body: AdminSyncBody,
      response: { 202: AdminSyncReply }
    }
  }, async (request, reply) => {
    const queued = await queueAthleteSyncs(app.db, request.body.athleteIds, { full: request.body.full })
    return reply.code(202).send({ queued: queued.length })
  })

  app.get('/admin/strava/sync-status', {
    schema: {
      tags: ['strava'],
      summary: 'Athletes by Strava sync state, and the shared rate budget',
      response: { 200: FleetStatusReply }
    }
  }, async () => fleetStatus(app.db, app.stravaSync.now()))
}

export default syncRoutes
