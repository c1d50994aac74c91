import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import type { Config } from '../config.ts'
import { configureAthleteWrites, type AthleteWriteSettings } from './athlete-writes.ts'
import { instrumentPool, queryLogger, type DatabaseObserver } from './instrumentation.ts'
import { pgTypes } from './pg-types.ts'
import type { DB } from './types.ts'

export type Database = Kysely<DB>

type PoolSettings = Pick<Config, 'DB_POOL_MAX' | 'DB_POOL_MIN' | 'DB_CONNECTION_TIMEOUT_MS' | 'DB_IDLE_TIMEOUT_MS' | 'DB_STATEMENT_TIMEOUT_MS'> &
  AthleteWriteSettings

/**
 * The one way trainload opens PostgreSQL: a bounded pool, and Kysely over it. An `observer`
 * hears about checkouts, connections, errors and every statement (the service passes one;
 * one-shot CLI commands need none). Its athletes' writes queue and wait as `settings` say.
 */
export function createDatabase (
  url: string,
  settings: PoolSettings,
  onConnectionError: (err: Error) => void,
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
  // A backend that dies (restart, pg_terminate_backend) makes its client emit 'error': on the
  // pool while the client is idle, on the client itself while it is checked out between
  // statements. Unheard, either would crash the process. The broken client is discarded and
  // the request in flight fails with a connection error, which becomes a 503.
  pool.on('error', onConnectionError)
  pool.on('connect', client => client.on('error', onConnectionError))
  if (observer) instrumentPool(pool, observer)
  const log = observer && queryLogger(observer)
  const end = endWhenClosed(pool)
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: { connect: () => pool.connect(), end } }), log })
  configureAthleteWrites(db, settings)
  return { pool, db }
}

/**
 * The pool's `end`, resolving only once every connection it opened has closed. pg's own
 * resolves when it has asked them to close, before their sockets have: a server stopped
 * right after (the embedded one, at shutdown) terminates them first, and each reports an
 * error for a connection that was closing anyway.
 */
export function endWhenClosed (pool: pg.Pool): () => Promise<void> {
  let open = 0
  let lastClosed = () => {}
  pool.on('connect', () => { open++ })
  pool.on('remove', () => { if (--open === 0) lastClosed() })
  return async () => {
    const closed = new Promise<void>(resolve => { lastClosed = resolve })
    await pool.end()
    if (open > 0) await closed
  }
}

/** One short-lived connection for administrative statements (create or drop a database). */
export async function withClient<T> (url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await run(client)
  } finally {
    await client.end()
  }
}
