import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import type { Config } from '../config.ts'
import { instrumentPool, queryLogger, type DatabaseObserver } from './instrumentation.ts'
import { pgTypes } from './pg-types.ts'
import type { DB } from './types.ts'

export type Database = Kysely<DB>

type PoolSettings = Pick<Config, 'DB_POOL_MAX' | 'DB_POOL_MIN' | 'DB_CONNECTION_TIMEOUT_MS' | 'DB_IDLE_TIMEOUT_MS' | 'DB_STATEMENT_TIMEOUT_MS'>

/**
 * The one way trainload opens PostgreSQL: a bounded pool, and Kysely over it. An `observer`
 * hears about checkouts, connections, errors and every statement (the service passes one;
 * one-shot CLI commands need none).
 */
export function createDatabase (
  url: string,
  settings: PoolSettings,
  onIdleError: (err: Error) => void,
  observer?: DatabaseObserver
): { pool: pg.Pool, db: Database } {
  const pool = new pg.Pool({
    connectionString: url,
    max: settings.DB_POOL_MAX,
    min: settings.DB_POOL_MIN,
    connectionTimeoutMillis: settings.DB_CONNECTION_TIMEOUT_MS,
    idleTimeoutMillis: settings.DB_IDLE_TIMEOUT_MS,
    statement_timeout: settings.DB_STATEMENT_TIMEOUT_MS,
    application_name: 'trainload',
    types: pgTypes
  })
  // An idle client whose backend dies (restart, pg_terminate_backend) emits 'error' on the
  // pool; without a listener that would crash the process. The pool drops the client itself.
  pool.on('error', onIdleError)
  if (observer) instrumentPool(pool, observer)
  const log = observer && queryLogger(observer)
  return { pool, db: new Kysely<DB>({ dialect: new PostgresDialect({ pool }), log }) }
}
