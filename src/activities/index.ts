import fp from 'fastify-plugin'
import activityRoutes from './routes.ts'

/** Activities: the batch upsert that brings ACWR up to date, the paged list, and deletion. */
export default fp(async function activities (app) {
  await app.register(activityRoutes)
}, { name: 'activities', dependencies: ['database', 'auth', 'openapi'] })
