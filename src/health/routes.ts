import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { sql } from 'kysely'
import { Type, type Static } from 'typebox'
import { RETRY_AFTER_S } from '../db/errors.ts'
import { stravaLoginConfigured } from '../config.ts'

/** How long the database may take to answer before /health reports it down. */
const HEALTH_TIMEOUT_MS = 1000

const PoolStats = Type.Object({
  total: Type.Integer(),
  idle: Type.Integer(),
  waiting: Type.Integer(),
  max: Type.Integer()
})

const DatabaseStatus = Type.Object({
  status: Type.Union([Type.Literal('up'), Type.Literal('down')]),
  latencyMs: Type.Optional(Type.Number())
})

const Health = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]),
  database: DatabaseStatus,
  pool: PoolStats,
  stravaLogin: Type.Boolean({ description: 'a Strava application is configured (STRAVA_CLIENT_ID and STRAVA_CLIENT_SECRET), so /auth/strava can log athletes in' }),
  loadShedding: Type.Optional(Type.String({
    description: 'present while the instance turns requests away: eventLoopDelay (the event loop lags), heapUsedBytes (the heap nears its limit) or healthCheck (the database failed its health checks)',
    examples: ['heapUsedBytes']
  }))
})

const healthRoutes: FastifyPluginAsyncTypebox = async app => {
  async function probeDatabase (): Promise<Static<typeof DatabaseStatus>> {
    const started = performance.now()
    const answered = await Promise.race([
      sql`select 1`.execute(app.db).then(() => true, () => false),
      sleep(HEALTH_TIMEOUT_MS, false, { ref: false })
    ])
    if (!answered) return { status: 'down' }
    return { status: 'up', latencyMs: Math.round((performance.now() - started) * 100) / 100 }
  }

  app.get('/health', {
    schema: {
      tags: ['operations'],
      summary: 'Liveness and database reachability',
      description: 'Public: no credential. A 503 means the database did not answer within 1 s, or the instance sheds load (`loadShedding` says why).',
      security: [],
      response: { 200: Health, 503: Health }
    }
  }, async (request, reply) => {
    const pool = { total: app.pool.totalCount, idle: app.pool.idleCount, waiting: app.pool.waitingCount, max: app.config.DB_POOL_MAX }
    // Public, so the dashboard's sign-in card offers the Strava login only where it can work.
    const stravaLogin = stravaLoginConfigured(app.config)
    const database = await probeDatabase()
    const { loadShedding } = request
    if (database.status === 'down' || loadShedding !== undefined) {
      return reply.code(503).header('retry-after', RETRY_AFTER_S)
        .send({ status: 'unavailable' as const, database, pool, stravaLogin, ...(loadShedding !== undefined && { loadShedding }) })
    }
    return { status: 'ok' as const, database, pool, stravaLogin }
  })
}

export default healthRoutes
