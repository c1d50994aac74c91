import { STATUS_CODES } from 'node:http'
import fp from 'fastify-plugin'
import { isDatabaseContended, isDatabaseUnavailable, RETRY_AFTER_S } from '../../db/errors.ts'

type RouteError = Error & { statusCode?: number, code?: string, headers?: Record<string, string> }

/** Fastify's own message for a body over the route's limit does not say what the limit is. */
const bodyTooLarge = (limit: number) => `the request body is too large: this route accepts at most ${limit} bytes`

/**
 * One error shape for every route. A database that cannot serve, or is too contended to serve
 * now (a statement or lock timeout, a conflict that outlived its retries), is a 503 with
 * Retry-After; any other server error is logged and answered without its details; a client
 * error keeps its message, which names the problem, and its headers (a 429's Retry-After).
 */
export default fp(async function errorHandler (app) {
  app.setErrorHandler((err: RouteError, request, reply) => {
    if (isDatabaseUnavailable(err)) {
      request.log.warn({ err }, 'database unavailable')
      return reply.code(503).header('retry-after', RETRY_AFTER_S)
        .send({ statusCode: 503, error: 'Service Unavailable', message: 'The database is unavailable; retry shortly.' })
    }
    if (isDatabaseContended(err)) {
      request.log.warn({ err }, 'database contended')
      return reply.code(503).header('retry-after', RETRY_AFTER_S)
        .send({ statusCode: 503, error: 'Service Unavailable', message: 'The database is busy with other work on this data; retry shortly.' })
    }
    const statusCode = err.statusCode ?? 500
    if (statusCode >= 500) {
      request.log.error({ err }, 'request failed')
      return reply.code(statusCode)
        .send({ statusCode, error: STATUS_CODES[statusCode] ?? 'Internal Server Error', message: 'The request could not be completed.' })
    }
    if (err.headers) reply.headers(err.headers)
    const message = err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? bodyTooLarge(request.routeOptions.bodyLimit) : err.message
    return reply.code(statusCode).send({ statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message })
  })
}, { name: 'error-handler' })
