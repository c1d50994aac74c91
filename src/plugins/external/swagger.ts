import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import fp from 'fastify-plugin'
import type { Config } from '../../config.ts'

const tags = [
  { name: 'athletes', description: 'Athletes, their settings and API keys' },
  { name: 'activities', description: 'Activities and the loads derived from them' },
  { name: 'acwr', description: 'Acute:Chronic Workload Ratio series and today\'s status' },
  { name: 'pmc', description: 'Performance management chart: fitness, fatigue, form, ramp rate, monotony and strain' },
  { name: 'tokens', description: 'Strava OAuth tokens: saving, refreshing, health' },
  { name: 'strava', description: 'Strava activity sync: backfill, webhooks, the shared rate budget, disconnect' },
  { name: 'operations', description: 'Health, pool and query figures, batch jobs, metrics' },
  { name: 'auth', description: 'Strava OAuth sign-in' }
]

/** The docs describe every route an attacker could probe, so production serves them only when asked to. */
export const docsServed = (config: Pick<Config, 'DOCS_ENABLED' | 'NODE_ENV'>) => config.DOCS_ENABLED ?? config.NODE_ENV !== 'production'

/**
 * The OpenAPI 3 document, generated from the route schemas, at /docs/json, and Swagger UI at
 * /docs. It must be registered before the routes: @fastify/swagger collects them as they are
 * added.
 */
export default fp(async function openApi (app) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'trainload',
        description: 'Training load and the Acute:Chronic Workload Ratio for endurance athletes. ' +
          'Athlete routes take that athlete\'s API key or the admin token; admin routes take the admin token.',
        version: '0.1.0'
      },
      tags,
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            description: 'An athlete API key (`tl_...`) or the admin token'
          }
        }
      }
    }
  })
  if (!docsServed(app.config)) return
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    // No validator badge: it would load an image from validator.swagger.io, which the CSP refuses.
    uiConfig: { docExpansion: 'list', deepLinking: true, validatorUrl: null }
  })
}, { name: 'openapi' })
