import { setTimeout as sleep } from 'node:timers/promises'
import { isTransactionConflict } from './errors.ts'

/** Tries of a transaction that keeps losing a deadlock or a serialization check, the first included. */
export const CONFLICT_ATTEMPTS = 4

/** Upper bound of the first random wait before a retry; it doubles with each attempt. */
const FIRST_BACKOFF_MS = 20

/**
 * Runs `transaction` again when PostgreSQL aborted it as a deadlock victim (40P01) or for a
 * serialization failure (40001): the aborted transaction was rolled back whole, so rerunning
 * it is safe. The wait is random ("full jitter") so that the two sides of a deadlock do not
 * meet again in step. After the last attempt the error goes to the caller, which answers 503.
 */
export async function retryConflicts<T> (transaction: () => Promise<T>, attempts = CONFLICT_ATTEMPTS): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await transaction()
    } catch (err) {
      if (attempt >= attempts || !isTransactionConflict(err)) throw err
      await sleep(Math.random() * FIRST_BACKOFF_MS * 2 ** (attempt - 1))
    }
  }
}
