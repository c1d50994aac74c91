import { getHeapStatistics } from 'node:v8'
import underPressure from '@fastify/under-pressure'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { sql } from 'kysely'
import { RETRY_AFTER_S } from '../../db/errors.ts'

/** Mean event-loop delay over a one-second sample above which new requests are shed. */
const MAX_EVENT_LOOP_DELAY_MS = 1000
/** Shed before V8 runs out of heap and the process dies mid-request. */
const MAX_HEAP_USED_BYTES = Math.floor(getHeapStatistics().heap_size_limit * 0.9)
const HEALTH_CHECK_INTERVAL_MS = 1000
const HEALTH_CHECK_TIMEOUT_MS = 2000
/** A few slow answers in a row (a busy pool, a loaded machine) are not an outage. */
const FAILURES_BEFORE_SHEDDING = 3

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * Why the instance is shedding load (under-pressure's type: eventLoopDelay,
     * heapUsedBytes or healthCheck), set on a /health request only: /health reports it in its
     * own shape instead of the overload error.
     */
    loadShedding?: string
  }
}

const overloaded = {
  statusCode: 503,
  error: 'Service Unavailable',
  message: 'The service is overloaded or its database is unreachable; retry shortly.'
}

async function databaseAnswers (app: FastifyInstance): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<false>(resolve => { timer = setTimeout(resolve, HEALTH_CHECK_TIMEOUT_MS, false) })
  const answered = sql`select 1`.execute(app.db).then(() => true, () => false)
  return Promise.race([answered, timeout]).finally(() => clearTimeout(timer))
}

/**
 * The database as under-pressure's health check sees it. A statement that succeeded since the
 * last check already proves the database answers, so a busy service adds no pings.
 */
function databaseHealthCheck (app: FastifyInstance): () => Promise<boolean> {
  let failures = 0
  let closing = false
  app.addHook('onClose', async () => { closing = true })
  return async () => {
    if (closing) return true
    const healthy = app.poolStatistics.succeededWithin(HEALTH_CHECK_INTERVAL_MS) || await databaseAnswers(app)
    failures = healthy ? 0 : failures + 1
    return failures < FAILURES_BEFORE_SHEDDING
  }
}

export default fp(async function loadShedding (app) {
  await app.register(underPressure, {
    maxEventLoopDelay: MAX_EVENT_LOOP_DELAY_MS,
    maxHeapUsedBytes: MAX_HEAP_USED_BYTES,
    healthCheck: databaseHealthCheck(app),
    healthCheckInterval: HEALTH_CHECK_INTERVAL_MS,
    pressureHandler: (request, reply, type) => {
      // /health still runs: its 503 has its own documented shape, which load balancers read.
      if (request.routeOptions.url === '/health') {
        request.loadShedding = type
        return
      }
      reply.code(503).header('retry-after', RETRY_AFTER_S).send(overloaded)
    }
  })
}, { name: 'load-shedding', dependencies: ['database'] })
