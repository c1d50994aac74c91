import fp from 'fastify-plugin'
import type pg from 'pg'
import { createDatabase, type Database } from '../../db/database.ts'
import { combineObservers } from '../../db/instrumentation.ts'
import { PoolStatistics } from '../../db/pool-statistics.ts'
import { verifySchema } from '../../db/schema-check.ts'

declare module 'fastify' {
  interface FastifyInstance {
    db: Database
    pool: pg.Pool
    /** Acquire waits, query timings and connection counts since start, for the status route. */
    poolStatistics: PoolStatistics
  }
}

export default fp(async function database (app) {
  const statistics = new PoolStatistics()
  const { pool, db } = createDatabase(
    app.databaseUrl,
    app.config,
    err => app.log.warn({ err }, 'idle database connection lost'),
    combineObservers(statistics, app.metrics.databaseObserver)
  )
  app.decorate('pool', pool)
  app.decorate('db', db)
  app.decorate('poolStatistics', statistics)
  app.addHook('onClose', async () => { await db.destroy() })

  await verifySchema(db).catch(async err => {
    await db.destroy()
    throw err
  })
}, { name: 'database', dependencies: ['config', 'metrics'] })
