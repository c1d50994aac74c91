/** Seconds a client should wait before retrying when the database cannot serve it. */
export const RETRY_AFTER_S = 5

/**
 * Errors that mean "the database cannot serve this request right now" rather than "this
 * request is wrong": the pool timed out waiting for a connection, the server refused or
 * dropped the connection, or it is shutting down or starting up. They become a 503 with
 * Retry-After, so clients back off and try again.
 */
const unavailableSqlStates = new Set(['57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08004', '08006'])
const unavailableNetworkCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH'])
const unavailableMessages = [
  'timeout exceeded when trying to connect',
  'Connection terminated',
  'Client has encountered a connection error',
  'Connection terminated unexpectedly'
]

export function isDatabaseUnavailable (err: unknown): boolean {
  if (!(err instanceof Error)) return false
  const code = (err as { code?: string }).code
  if (code && (unavailableSqlStates.has(code) || unavailableNetworkCodes.has(code))) return true
  return unavailableMessages.some(m => err.message.startsWith(m))
}

/** SQLSTATEs of a transaction PostgreSQL aborted to resolve a conflict: deadlock, serialization failure. */
const conflictSqlStates = new Set(['40P01', '40001'])

/**
 * SQLSTATEs that mean "the database is too contended to serve this now": a statement ran past
 * statement_timeout or was cancelled (57014), a lock was not granted within lock_timeout
 * (55P03), or a conflict outlived its retries. Like an unavailable database, a 503.
 */
const contendedSqlStates = new Set(['57014', '55P03', ...conflictSqlStates])

const sqlStateOf = (err: unknown) => err instanceof Error ? (err as { code?: unknown }).code : undefined

export function isTransactionConflict (err: unknown): boolean {
  const code = sqlStateOf(err)
  return typeof code === 'string' && conflictSqlStates.has(code)
}

export function isDatabaseContended (err: unknown): boolean {
  const code = sqlStateOf(err)
  return typeof code === 'string' && contendedSqlStates.has(code)
}
