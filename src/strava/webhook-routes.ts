import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ErrorResponse } from '../schemas/common.ts'
import { WebhookEventBody, WebhookEventReply, WebhookValidationQuery, WebhookValidationReply } from './schemas.ts'
import { acceptWebhookEvent } from './webhooks.ts'

const digest = (value: string) => createHash('sha256').update(value).digest()

/** Strava's webhook callback: the subscription check (GET) and the events (POST). Public: Strava sends no credential. */
const webhookRoutes: FastifyPluginAsyncTypebox = async app => {
  const { STRAVA_WEBHOOK_VERIFY_TOKEN: verifyToken, STRAVA_SUBSCRIPTION_ID: subscriptionId } = app.config

  app.get('/webhooks/strava', {
    schema: {
      tags: ['strava'],
      summary: 'Strava\'s subscription check: echoes hub.challenge when hub.verify_token is STRAVA_WEBHOOK_VERIFY_TOKEN',
      querystring: WebhookValidationQuery,
      response: { 200: WebhookValidationReply, 400: ErrorResponse, 403: ErrorResponse }
    }
  }, async (request, reply) => {
    const query = request.query
    const matches = verifyToken !== '' && timingSafeEqual(digest(query['hub.verify_token']), digest(verifyToken))
    if (!matches) return reply.code(403).send({ statusCode: 403, error: 'Forbidden', message: 'hub.verify_token does not match this service\'s STRAVA_WEBHOOK_VERIFY_TOKEN' })
    return { 'hub.challenge': query['hub.challenge'] }
  })

  app.post('/webhooks/strava', {
    schema: {
      tags: ['strava'],
      summary: 'A Strava webhook event: answered at once, its work queued',
      body: WebhookEventBody,
      response: { 200: WebhookEventReply, 400: ErrorResponse }
    }
  }, async request => {
    const status = await acceptWebhookEvent(app.db, request.body, subscriptionId)
    request.log.info({ objectType: request.body.object_type, aspect: request.body.aspect_type, status }, 'Strava webhook event')
    return { status }
  })
}

export default webhookRoutes
