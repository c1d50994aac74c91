import fp from 'fastify-plugin'
import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import type { DB } from '../../db/types.ts'
import { pgTypes } from '../../db/pg-types.ts'
import { verifySchema } from '../../db/schema-check.ts'

declare module 'fastify' {
  interface FastifyInstance {
    db: Kysely<DB>
    pool: pg.Pool
  }
}

export default fp(async function database (app) {
  const { config } = app
  const pool = new pg.Pool({
    connectionString: app.databaseUrl,
    max: config.DB_POOL_MAX,
    min: config.DB_POOL_MIN,
    connectionTimeoutMillis: config.DB_CONNECTION_TIMEOUT_MS,
    idleTimeoutMillis: config.DB_IDLE_TIMEOUT_MS,
    statement_timeout: config.DB_STATEMENT_TIMEOUT_MS,
    application_name: 'trainload',
    types: pgTypes
  })
  // An idle client whose backend dies (restart, pg_terminate_backend) emits 'error' on the
  // pool; without a listener that would crash the process. The pool drops the client itself.
  pool.on('error', err => app.log.warn({ err }, 'idle database connection lost'))

  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) })
  app.decorate('pool', pool)
  app.decorate('db', db)
  app.addHook('onClose', async () => { await db.destroy() })

  await verifySchema(db).catch(async err => {
    await db.destroy()
    throw err
  })
}, { name: 'database', dependencies: ['config'] })
