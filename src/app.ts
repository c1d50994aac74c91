import Fastify, { type RouteOptions } from 'fastify'
import sensible from '@fastify/sensible'
import fp from 'fastify-plugin'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { ConfigError, trustProxyOption, type Config } from './config.ts'
import { validatorCompiler } from './validation.ts'
import metrics from './plugins/app/metrics.ts'
import database from './plugins/app/database.ts'
import auth from './plugins/app/auth.ts'
import errorHandler from './plugins/app/error-handler.ts'
import writeRateLimit from './plugins/app/write-rate-limit.ts'
import cors from './plugins/external/cors.ts'
import securityHeaders from './plugins/external/helmet.ts'
import rateLimiter from './plugins/external/rate-limit.ts'
import loadShedding from './plugins/external/under-pressure.ts'
import openApi from './plugins/external/swagger.ts'
import dashboard from './plugins/external/static.ts'
import health from './health/index.ts'
import operations from './operations/index.ts'
import tokens from './tokens/index.ts'
import athletes from './athletes/index.ts'
import activities from './activities/index.ts'
import imports from './imports/index.ts'
import acwr from './acwr/index.ts'
import pmc from './pmc/index.ts'
import stravaSync from './strava/index.ts'

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
    // request.ip, which failed credential attempts are counted under, believes X-Forwarded-For
    // only from these proxies.
    trustProxy: trustProxyOption(config.TRUST_PROXY),
    // Bound how long a slow client may hold a connection.
    requestTimeout: 60_000,
    connectionTimeout: 65_000
  }).withTypeProvider<TypeBoxTypeProvider>()
  app.setValidatorCompiler(validatorCompiler)
  if (onRoute) app.addHook('onRoute', onRoute)

  // Infrastructure: configuration, errors, security headers, CORS, metrics, the database, credentials, load
  // shedding and the OpenAPI document, which must exist before the routes it describes.
  await app.register(fp(async instance => {
    instance.decorate('config', config)
    instance.decorate('databaseUrl', databaseUrl)
  }, { name: 'config' }))
  await app.register(sensible)
  await app.register(errorHandler)
  await app.register(securityHeaders)
  await app.register(cors)
  await app.register(metrics)
  await app.register(database)
  await app.register(rateLimiter)
  await app.register(auth)
  await app.register(writeRateLimit)
  if (config.LOAD_SHEDDING) await app.register(loadShedding)
  await app.register(openApi)
  await app.register(dashboard)

  // Features: each registers its own routes and decorators and names what it depends on.
  await app.register(health)
  await app.register(operations)
  await app.register(tokens)
  await app.register(athletes)
  await app.register(activities)
  await app.register(imports)
  await app.register(acwr)
  await app.register(pmc)
  await app.register(stravaSync)
  return app
}

export type App = Awaited<ReturnType<typeof buildApp>>
