import fp from 'fastify-plugin'
import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { DatabaseObserver } from '../../db/instrumentation.ts'

/** Outcomes of one token refresh, as the tokens feature counts them. */
export const tokenRefreshOutcomes = ['refreshed', 'failed', 'invalidated', 'skipped'] as const
export type TokenRefreshOutcome = typeof tokenRefreshOutcomes[number]

export interface Metrics {
  /** This app's own registry: several apps in one process must not share series. */
  registry: Registry
  tokenRefreshes: Counter<'outcome'>
  /** Fed by the database plugin's pool and Kysely instrumentation. */
  databaseObserver: DatabaseObserver
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics
  }
}

/** Distinct statements given their own series; past this they share the label "other". */
const MAX_FINGERPRINTS = 500

const latencyBuckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

/** Passes the first `limit` distinct values through and maps every later one to "other". */
function boundedLabel (limit: number): (value: string) => string {
  const seen = new Set<string>()
  return value => {
    if (seen.has(value)) return value
    if (seen.size >= limit) return 'other'
    seen.add(value)
    return value
  }
}

function databaseMetrics (registry: Registry): DatabaseObserver {
  const registers = [registry]
  const acquireWait = new Histogram({
    name: 'trainload_db_pool_acquire_wait_seconds',
    help: 'Time a caller waited for a pooled connection, by outcome',
    labelNames: ['outcome'],
    buckets: latencyBuckets,
    registers
  })
  const queryDuration = new Histogram({
    name: 'trainload_db_query_duration_seconds',
    help: 'Duration of SQL statements, by outcome',
    labelNames: ['outcome'],
    buckets: latencyBuckets,
    registers
  })
  const statements = new Counter({ name: 'trainload_db_statements_total', help: 'SQL statements run, by fingerprint', labelNames: ['fingerprint'], registers })
  const statementSeconds = new Counter({ name: 'trainload_db_statement_seconds_total', help: 'Time spent in SQL statements, by fingerprint', labelNames: ['fingerprint'], registers })
  const created = new Counter({ name: 'trainload_db_connections_created_total', help: 'Connections the pool opened', registers })
  const removed = new Counter({ name: 'trainload_db_connections_removed_total', help: 'Connections the pool closed or dropped', registers })
  const errors = new Counter({ name: 'trainload_db_pool_errors_total', help: 'Failed checkouts and idle connections lost', labelNames: ['kind'], registers })

  const fingerprintLabel = boundedLabel(MAX_FINGERPRINTS)

  return {
    connectionAcquired: waitMs => acquireWait.observe({ outcome: 'acquired' }, waitMs / 1000),
    acquireFailed: waitMs => {
      acquireWait.observe({ outcome: 'failed' }, waitMs / 1000)
      errors.inc({ kind: 'checkout' })
    },
    connectionCreated: () => created.inc(),
    connectionRemoved: () => removed.inc(),
    poolError: () => errors.inc({ kind: 'idle' }),
    queryExecuted: (fingerprint, durationMs, failed) => {
      queryDuration.observe({ outcome: failed ? 'error' : 'ok' }, durationMs / 1000)
      const label = { fingerprint: fingerprintLabel(fingerprint) }
      statements.inc(label)
      statementSeconds.inc(label, durationMs / 1000)
    }
  }
}

function poolGauges (registry: Registry, pool: () => { totalCount: number, idleCount: number, waitingCount: number }, max: number): void {
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({ name, help, registers: [registry], collect () { this.set(read()) } })
  gauge('trainload_db_pool_total_connections', 'Connections open in the pool, idle or in use', () => pool().totalCount)
  gauge('trainload_db_pool_idle_connections', 'Open connections not in use', () => pool().idleCount)
  gauge('trainload_db_pool_waiting_clients', 'Callers queued for a connection', () => pool().waitingCount)
  gauge('trainload_db_pool_max_connections', 'Configured pool size (DB_POOL_MAX)', () => max)
}

export default fp(async function metrics (app) {
  const registry = new Registry()
  const tokenRefreshes = new Counter({
    name: 'trainload_token_refresh_total',
    help: 'Strava token refreshes, by outcome',
    labelNames: ['outcome'],
    registers: [registry]
  })
  for (const outcome of tokenRefreshOutcomes) {
    tokenRefreshes.inc({ outcome }, 0)
  }
  // The pool is opened by the database plugin, after this one; gauges read it at scrape time.
  poolGauges(registry, () => app.pool, app.config.DB_POOL_MAX)

  const httpDuration = new Histogram({
    name: 'trainload_http_request_duration_seconds',
    help: 'HTTP request duration, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status_code'],
    buckets: latencyBuckets,
    registers: [registry]
  })
  app.addHook('onResponse', async (request, reply) => {
    // The route pattern, never the raw URL: ids in paths would explode the label set.
    const route = request.routeOptions.url ?? 'unmatched'
    httpDuration.observe({ method: request.method, route, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000)
  })

  app.decorate('metrics', { registry, tokenRefreshes, databaseObserver: databaseMetrics(registry) })
}, { name: 'metrics', dependencies: ['config'] })
