import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { AcwrSummary } from '../acwr/schemas.ts'
import { summarizeAcwr } from '../acwr/summary.ts'
import { migrationStatus } from '../db/migrations.ts'
import { findMissingSchema } from '../db/schema-check.ts'
import { ErrorResponse } from '../schemas/common.ts'
import { TokenSummarySchema } from '../tokens/schemas.ts'
import { summarizeTokens } from '../tokens/summary.ts'

const Milliseconds = Type.Number({ minimum: 0 })
const Count = Type.Integer({ minimum: 0 })

const DatabaseOptimizationStatus = Type.Object({
  pool: Type.Object({
    max: Count,
    total: Count,
    idle: Count,
    waiting: Count,
    utilization: Type.Number({ minimum: 0, maximum: 1, description: 'share of DB_POOL_MAX in use' }),
    acquireWaitMs: Type.Object({ p50: Milliseconds, p95: Milliseconds, max: Milliseconds },
      { description: 'p50 and p95 over the latest checkouts; max since start' }),
    connectionsCreated: Count,
    errors: Type.Integer({ minimum: 0, description: 'failed checkouts and idle connections lost, since start' })
  }),
  queries: Type.Object({
    count: Count,
    avgMs: Milliseconds,
    p95Ms: Type.Number({ minimum: 0, description: 'over the latest statements' }),
    slowest: Type.Array(Type.Object({ sqlFingerprint: Type.String(), ms: Milliseconds }),
      { description: 'statements with their worst duration, parameters and literals stripped' })
  }),
  tokens: TokenSummarySchema,
  acwr: AcwrSummary,
  schema: Type.Object({ verified: Type.Boolean(), appliedMigrations: Count, pendingMigrations: Count })
})

const operationsRoutes: FastifyPluginAsyncTypebox = async app => {
  app.get('/admin/database-optimization-status', {
    schema: {
      tags: ['operations'],
      summary: 'Pool, query, token, ACWR and schema figures',
      response: { 200: DatabaseOptimizationStatus, 401: ErrorResponse, 429: ErrorResponse, 503: ErrorResponse }
    }
  }, async () => {
    const { pool, poolStatistics: statistics, config } = app
    const inUse = pool.totalCount - pool.idleCount
    // One after the other: the status route should not take several connections at once.
    const tokens = await summarizeTokens(app.db)
    const acwr = await summarizeAcwr(app.db)
    const missing = await findMissingSchema(app.db)
    const migrations = await migrationStatus(app.db)
    return {
      pool: {
        max: config.DB_POOL_MAX,
        total: pool.totalCount,
        idle: pool.idleCount,
        waiting: pool.waitingCount,
        utilization: Math.round((inUse / config.DB_POOL_MAX) * 1000) / 1000,
        acquireWaitMs: statistics.acquireWaitMs(),
        connectionsCreated: statistics.connectionsCreated,
        errors: statistics.errors
      },
      queries: statistics.queries(),
      tokens,
      acwr,
      schema: {
        verified: missing.length === 0,
        appliedMigrations: migrations.applied.length,
        pendingMigrations: migrations.pending.length
      }
    }
  })

  app.get('/metrics', {
    schema: {
      tags: ['operations'],
      summary: 'Prometheus metrics: pool, queries, HTTP, token refreshes',
      response: { 200: Type.String({ description: 'Prometheus text exposition format' }), 401: ErrorResponse, 429: ErrorResponse }
    }
  }, async (_request, reply) => {
    const { registry } = app.metrics
    return reply.type(registry.contentType).send(await registry.metrics())
  })
}

export default operationsRoutes
