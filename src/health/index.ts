import fp from 'fastify-plugin'
import healthRoutes from './routes.ts'

/** The public liveness route, which also says whether the database answers. */
export default fp(async function health (app) {
  await app.register(healthRoutes)
}, { name: 'health', dependencies: ['config', 'database', 'openapi'] })
