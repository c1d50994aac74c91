import { STATUS_CODES } from 'node:http'
import fp from 'fastify-plugin'
import { isDatabaseUnavailable, RETRY_AFTER_S } from '../../db/errors.ts'

/**
 * One error shape for every route. A database that cannot serve is a 503 with Retry-After; any
 * other server error is logged and answered without its details; a client error keeps its
 * message, which names the problem.
 */
export default fp(async function errorHandler (app) {
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
}, { name: 'error-handler' })
