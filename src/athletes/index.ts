import fp from 'fastify-plugin'
import adminAthleteRoutes from './admin-routes.ts'
import athleteRoutes from './routes.ts'

/** Athletes: the operator's listing, batch upsert and API keys; each athlete's profile and settings. */
export default fp(async function athletes (app) {
  await app.register(adminAthleteRoutes)
  await app.register(athleteRoutes)
}, { name: 'athletes', dependencies: ['database', 'auth', 'openapi'] })
