import type { LogEvent } from 'kysely'
import type pg from 'pg'

/**
 * What the pool and Kysely report while they work. Every method is optional so that an
 * observer (the status aggregate, the Prometheus metrics) listens only to what it needs.
 */
export interface DatabaseObserver {
  /** A caller got a connection after waiting `waitMs`. */
  connectionAcquired?: (waitMs: number) => void
  /** A caller gave up after `waitMs`: no connection in time, or the server refused one. */
  acquireFailed?: (waitMs: number, err: Error) => void
  connectionCreated?: () => void
  connectionRemoved?: () => void
  /** An idle connection failed, e.g. its backend was terminated. */
  poolError?: (err: Error) => void
  queryExecuted?: (fingerprint: string, durationMs: number, failed: boolean) => void
}

export function combineObservers (...observers: Array<DatabaseObserver | undefined>): DatabaseObserver {
  const present = observers.filter(o => o !== undefined)
  return {
    connectionAcquired: waitMs => { for (const o of present) o.connectionAcquired?.(waitMs) },
    acquireFailed: (waitMs, err) => { for (const o of present) o.acquireFailed?.(waitMs, err) },
    connectionCreated: () => { for (const o of present) o.connectionCreated?.() },
    connectionRemoved: () => { for (const o of present) o.connectionRemoved?.() },
    poolError: err => { for (const o of present) o.poolError?.(err) },
    queryExecuted: (fingerprint, ms, failed) => { for (const o of present) o.queryExecuted?.(fingerprint, ms, failed) }
  }
}

/**
 * The statement with everything that varies between calls removed: parameters, string and
 * numeric literals, and the length of value lists. Queries that differ only in their data share
 * one fingerprint, so the set of fingerprints is bounded by the code, not by the traffic.
 */
export function sqlFingerprint (statement: string): string {
  const known = fingerprints.get(statement)
  if (known !== undefined) return known
  const fingerprint = fingerprintOf(statement)
  if (cachedChars + statement.length <= MAX_CACHED_CHARS) {
    fingerprints.set(statement, fingerprint)
    cachedChars += statement.length
  }
  return fingerprint
}

/**
 * Most statements are the same few texts over and over (Kysely compiles a query to the same
 * text, its values being parameters), and the longest of them, the ACWR update, took as long
 * to fingerprint as to serialise. Texts that vary, such as multi-row VALUES lists, could fill
 * the cache, so it stops growing at this many characters.
 */
const MAX_CACHED_CHARS = 4_000_000
const fingerprints = new Map<string, string>()
let cachedChars = 0

function fingerprintOf (statement: string): string {
  return statement
    .replace(/--[^\n]*/g, ' ')
    .replace(/'(?:[^']|'')*'/g, '?')
    .replace(/\$\d+/g, '?')
    .replace(/\b\d+(?:\.\d+)?\b/g, '?')
    .replace(/\s+/g, ' ')
    .replace(/\?(?:\s*,\s*\?)+/g, '?, ...')
    .replace(/(\([^()]*\))(?:\s*,\s*\([^()]*\))+/g, '$1, ...')
    .trim()
}

/**
 * Kysely's `log` hook: it times every statement (including transaction control) where it runs,
 * so no call site needs to be wrapped.
 */
export function queryLogger (observer: DatabaseObserver): (event: LogEvent) => void {
  return event => observer.queryExecuted?.(sqlFingerprint(event.query.sql), event.queryDurationMillis, event.level === 'error')
}

/**
 * Subscribes to the pool's events and times every checkout. The timing wraps `pool.connect`
 * once, at the pool: Kysely and `pool.query` both check connections out through it.
 */
export function instrumentPool (pool: pg.Pool, observer: DatabaseObserver): void {
  pool.on('connect', () => observer.connectionCreated?.())
  pool.on('remove', () => observer.connectionRemoved?.())
  pool.on('error', err => observer.poolError?.(err))

  const connect = pool.connect.bind(pool) as (callback?: ConnectCallback) => Promise<pg.PoolClient> | undefined
  const timedConnect = (callback?: ConnectCallback) => {
    const started = performance.now()
    const settle = (err?: Error) => {
      const waitMs = performance.now() - started
      if (err) observer.acquireFailed?.(waitMs, err)
      else observer.connectionAcquired?.(waitMs)
    }
    if (callback) {
      return connect((err, client, done) => {
        settle(err ?? undefined)
        callback(err, client, done)
      })
    }
    return connect()!.then(client => { settle(); return client }, (err: Error) => { settle(err); throw err })
  }
  pool.connect = timedConnect as typeof pool.connect
}

type ConnectCallback = (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void
