import fp from 'fastify-plugin'
import acwrRollForward from './roll-forward.ts'
import acwrRoutes from './routes.ts'

/** ACWR: the series and today's status, the batch recompute, and the optional roll-forward schedule. */
export default fp(async function acwr (app) {
  await app.register(acwrRoutes)
  await app.register(acwrRollForward)
}, { name: 'acwr', dependencies: ['config', 'database', 'auth', 'openapi'] })
