import fp from 'fastify-plugin'
import pmcRoutes from './routes.ts'

/** The performance management chart: its series route. The ACWR update computes and stores it. */
export default fp(async function pmc (app) {
  await app.register(pmcRoutes)
}, { name: 'pmc', dependencies: ['config', 'database', 'auth', 'openapi', 'acwr'] })
