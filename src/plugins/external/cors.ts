import cors from '@fastify/cors'
import fp from 'fastify-plugin'

/** CORS_ORIGINS as a list; empty means no browser on another origin may call the API. */
export function allowedOrigins (setting: string): string[] {
  return setting.split(',').map(origin => origin.trim()).filter(origin => origin !== '')
}

export default fp(async function corsPolicy (app) {
  const origins = allowedOrigins(app.config.CORS_ORIGINS)
  await app.register(cors, {
    origin: origins.length > 0 ? origins : false,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type'],
    maxAge: 600
  })
}, { name: 'cors-policy', dependencies: ['config'] })
