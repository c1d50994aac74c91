import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { AthleteParams, ErrorResponse } from '../schemas/common.ts'
import { listApiKeys, revokeApiKey } from './api-keys.ts'
import { ApiKeyList, ApiKeyParams, WhoAmI } from './schemas.ts'
import { getAthlete } from './service.ts'

/** What a credential can learn about itself: whose it is, and the athlete's keys to revoke. */
const apiKeyRoutes: FastifyPluginAsyncTypebox = async app => {
  app.get('/api/me', {
    schema: {
      tags: ['athletes'],
      summary: 'Whose credential this is: an athlete\'s API key or the admin token',
      description: 'Lets a client sign in with a key alone and find the athlete it belongs to.',
      response: { 200: WhoAmI, 401: ErrorResponse }
    }
  }, async request => {
    const credential = request.credential!
    return credential.kind === 'athlete' ? { kind: 'athlete' as const, athleteId: credential.athleteId } : { kind: 'admin' as const }
  })

  app.get('/api/athletes/:athleteId/api-keys', {
    schema: {
      tags: ['athletes'],
      summary: 'The athlete\'s API keys, revoked ones included, newest first',
      params: AthleteParams,
      response: { 200: ApiKeyList, 404: ErrorResponse }
    }
  }, async request => {
    const { athleteId } = request.params
    await getAthlete(app.db, athleteId)
    return { keys: await listApiKeys(app.db, athleteId) }
  })

  app.delete('/api/athletes/:athleteId/api-keys/:keyId', {
    schema: {
      tags: ['athletes'],
      summary: 'Revoke one of the athlete\'s API keys; it stops working at once on this instance, and within API_KEY_CACHE_MS on the others',
      params: ApiKeyParams,
      response: { 204: Type.Null({ description: 'revoked' }), 404: ErrorResponse }
    }
  }, async (request, reply) => {
    const { athleteId, keyId } = request.params
    if (!await revokeApiKey(app.db, athleteId, keyId)) return reply.notFound(`keyId: athlete ${athleteId} has no API key ${keyId}`)
    app.apiKeyCache.forgetKey(keyId)
    return reply.code(204).send(null)
  })
}

export default apiKeyRoutes
