import fp from 'fastify-plugin'
import operationsRoutes from './routes.ts'

/** The operator's figures: pool, queries, tokens, ACWR and schema status, and Prometheus metrics. */
export default fp(async function operations (app) {
  await app.register(operationsRoutes)
}, { name: 'operations', dependencies: ['config', 'database', 'metrics', 'auth', 'openapi'] })
