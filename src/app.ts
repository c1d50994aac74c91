import { STATUS_CODES } from 'node:http'
import Fastify, { type RouteOptions } from 'fastify'
import sensible from '@fastify/sensible'
import fp from 'fastify-plugin'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { ConfigError, type Config } from './config.ts'
import { validatorCompiler } from './validation.ts'
import { isDatabaseUnavailable } from './db/errors.ts'
import metrics from './plugins/app/metrics.ts'
import database from './plugins/app/database.ts'
import auth from './plugins/app/auth.ts'
import cors from './plugins/external/cors.ts'
import rateLimiter from './plugins/external/rate-limit.ts'
import loadShedding from './plugins/external/under-pressure.ts'
import healthRoutes from './health/routes.ts'
import operationsRoutes from './operations/routes.ts'
import tokens from './tokens/plugin.ts'
import tokenAdminRoutes from './tokens/admin-routes.ts'
import oauthRoutes from './tokens/oauth-routes.ts'
import openApi from './plugins/external/swagger.ts'
import dashboard from './plugins/external/static.ts'
import adminAthleteRoutes from './athletes/admin-routes.ts'
import athleteRoutes from './athletes/routes.ts'
import activityRoutes from './activities/routes.ts'
import acwrRoutes from './acwr/routes.ts'
import acwrRollForward from './acwr/roll-forward.ts'

declare module 'fastify' {
  interface FastifyInstance {
    config: Config
    databaseUrl: string
  }
}

export interface AppOptions {
  config: Config
  databaseUrl: string
  /** Where log lines go instead of stdout, e.g. to capture them in tests. */
  logStream?: NodeJS.WritableStream
  /** Sees every route as it is added, e.g. for a test that the OpenAPI document covers them all. */
  onRoute?: (route: RouteOptions) => void
}

/** Seconds a client should wait before retrying when the database cannot serve it. */
export const RETRY_AFTER_S = 5

/** Fields that may hold a credential; pino replaces them before a line is written. */
const redactedPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization', '*.headers.authorization',
  '*.accessToken', '*.refreshToken', '*.access_token', '*.refresh_token',
  '*.apiKey', '*.adminToken', '*.clientSecret', '*.client_secret', '*.code', '*.state'
]

export async function buildApp ({ config, databaseUrl, logStream, onRoute }: AppOptions) {
  if (!config.ADMIN_TOKEN || !config.TOKEN_ENCRYPTION_KEY) {
    throw new ConfigError('ADMIN_TOKEN and TOKEN_ENCRYPTION_KEY must be resolved before the app is built (see src/secrets.ts).')
  }
  const app = Fastify({
    logger: {
      level: config.LOG_LEVEL,
      redact: { paths: redactedPaths, censor: '[redacted]' },
      // Query strings can carry OAuth codes and state; log the path only.
      serializers: { req: request => ({ method: request.method, url: request.url.split('?')[0], remoteAddress: request.ip }) },
      stream: logStream
    },
    bodyLimit: config.BODY_LIMIT_BYTES,
    // Bound how long a slow client may hold a connection.
    requestTimeout: 60_000,
    connectionTimeout: 65_000
  }).withTypeProvider<TypeBoxTypeProvider>()
  app.setValidatorCompiler(validatorCompiler)
  if (onRoute) app.addHook('onRoute', onRoute)

  await app.register(fp(async instance => {
    instance.decorate('config', config)
    instance.decorate('databaseUrl', databaseUrl)
  }, { name: 'config' }))
  await app.register(sensible)
  await app.register(cors)
  await app.register(metrics)
  await app.register(database)
  await app.register(rateLimiter)
  await app.register(auth)
  if (config.LOAD_SHEDDING) await app.register(loadShedding)
  await app.register(tokens)
  await app.register(openApi)

  app.setErrorHandler((err: Error & { statusCode?: number }, request, reply) => {
    if (isDatabaseUnavailable(err)) {
      request.log.warn({ err }, 'database unavailable')
      return reply.code(503).header('retry-after', RETRY_AFTER_S)
        .send({ statusCode: 503, error: 'Service Unavailable', message: 'The database is unavailable; retry shortly.' })
    }
    const statusCode = err.statusCode ?? 500
    if (statusCode >= 500) {
      request.log.error({ err }, 'request failed')
      return reply.code(statusCode)
        .send({ statusCode, error: STATUS_CODES[statusCode] ?? 'Internal Server Error', message: 'The request could not be completed.' })
    }
    return reply.code(statusCode).send({ statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message: err.message })
  })

  await app.register(healthRoutes)
  await app.register(operationsRoutes)
  await app.register(tokenAdminRoutes)
  await app.register(oauthRoutes)
  await app.register(adminAthleteRoutes)
  await app.register(dashboard)
  await app.register(athleteRoutes)
  await app.register(activityRoutes)
  await app.register(acwrRoutes)
  await app.register(acwrRollForward)
  return app
}

export type App = Awaited<ReturnType<typeof buildApp>>
