import fp from 'fastify-plugin'
import type pg from 'pg'
import { createDatabase, type Database } from '../../db/database.ts'
import { verifySchema } from '../../db/schema-check.ts'

declare module 'fastify' {
  interface FastifyInstance {
    db: Database
    pool: pg.Pool
  }
}

export default fp(async function database (app) {
  const { pool, db } = createDatabase(app.databaseUrl, app.config, err => app.log.warn({ err }, 'idle database connection lost'))
  app.decorate('pool', pool)
  app.decorate('db', db)
  app.addHook('onClose', async () => { await db.destroy() })

  await verifySchema(db).catch(async err => {
    await db.destroy()
    throw err
  })
}, { name: 'database', dependencies: ['config'] })
