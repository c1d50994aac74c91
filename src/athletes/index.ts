import fp from 'fastify-plugin'
import adminAthleteRoutes from './admin-routes.ts'
import apiKeyRoutes from './api-key-routes.ts'
import athleteRoutes from './routes.ts'

/** Athletes: the operator's listing, batch upsert and API keys; each athlete's profile and settings; who a credential belongs to, and an athlete's own keys. */
export default fp(async function athletes (app) {
  await app.register(adminAthleteRoutes)
  await app.register(athleteRoutes)
  await app.register(apiKeyRoutes)
}, { name: 'athletes', dependencies: ['database', 'auth', 'openapi'] })
