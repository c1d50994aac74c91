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
