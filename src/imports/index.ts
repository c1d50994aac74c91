import fp from 'fastify-plugin'
import importRoutes from './routes.ts'

/** Imports of an athlete's Strava account export: the archive or its activities.csv. */
export default fp(async function imports (app) {
  await app.register(importRoutes)
}, { name: 'imports', dependencies: ['database', 'auth', 'openapi'] })
