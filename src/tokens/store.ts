import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import type { Transaction } from 'kysely'
import type { Database } from '../db/database.ts'
import type { DB } from '../db/types.ts'
import type { TokenCipher } from './crypto.ts'
import type { PlainToken } from './schemas.ts'
import { retryConflicts } from '../db/retry.ts'
import { insertTokenEvents, loadSealedTokens, lockExistingAthletes, upsertSealedTokens, type SealedToken, type TokenStatus } from './queries.ts'

/** Rows per statement: unnest takes five arrays whatever the count, this only bounds memory. */
const SAVE_CHUNK = 2000

export class TokenBatchError extends Error {
  constructor (readonly statusCode: 400 | 404, message: string) {
    super(message)
  }
}

function sealAll (cipher: TokenCipher, tokens: PlainToken[]): SealedToken[] {
  return tokens.map(t => ({
    athleteId: t.athleteId,
    accessToken: cipher.seal(t.accessToken),
    refreshToken: cipher.seal(t.refreshToken),
    expiresAt: t.expiresAt,
    scope: t.scope ?? null
  }))
}

function assertDistinctAthletes (tokens: PlainToken[]): void {
  const seen = new Set<number>()
  tokens.forEach(({ athleteId }, index) => {
    if (seen.has(athleteId)) throw new TokenBatchError(400, `tokens/${index}/athleteId: athlete ${athleteId} appears more than once`)
    seen.add(athleteId)
  })
}

/** Saves tokens inside `trx`: one upsert and one audit insert per chunk. */
export async function saveSealedTokens (trx: Transaction<DB>, tokens: SealedToken[], detail: string | null = null): Promise<void> {
  for (let i = 0; i < tokens.length; i += SAVE_CHUNK) {
    const chunk = tokens.slice(i, i + SAVE_CHUNK)
    await upsertSealedTokens(trx, chunk)
    await insertTokenEvents(trx, chunk.map(t => t.athleteId), 'saved', detail)
  }
}

/**
 * Encrypts and saves a batch of tokens in one transaction: all of them or, when an item is
 * a duplicate or names an unknown athlete, none. Athlete rows are only read (and locked
 * against deletion), never written. Tokens are written in athlete id order, whatever order
 * the body has, so concurrent batches cannot deadlock; a deadlock with another writer is
 * retried.
 */
export async function saveTokens (db: Database, cipher: TokenCipher, tokens: PlainToken[]): Promise<number> {
  assertDistinctAthletes(tokens)
  const sealed = sealAll(cipher, tokens).sort((a, b) => a.athleteId - b.athleteId)
  await retryConflicts(() => db.transaction().execute(async trx => {
    const existing = await lockExistingAthletes(trx, tokens.map(t => t.athleteId))
    const unknown = tokens.findIndex(t => !existing.has(t.athleteId))
    if (unknown >= 0) throw new TokenBatchError(404, `tokens/${unknown}/athleteId: athlete ${tokens[unknown]!.athleteId} does not exist`)
    await saveSealedTokens(trx, sealed, 'batch save')
  }))
  return tokens.length
}

/** Decrypted tokens of the listed athletes with their status, in one query; for code that calls Strava only. */
export async function loadTokens (db: Database, cipher: TokenCipher, athleteIds: number[]): Promise<Map<number, PlainToken & { status: TokenStatus }>> {
  const rows = await loadSealedTokens(db, athleteIds)
  return new Map(rows.map(row => [row.athleteId, {
    athleteId: row.athleteId,
    accessToken: cipher.open(row.accessToken),
    refreshToken: cipher.open(row.refreshToken),
    expiresAt: row.expiresAt,
    scope: row.scope,
    status: row.status
  }]))
}

/**
 * Tells the token-save listeners, after the save committed. A listener that fails is logged
 * and does not undo the save: the tokens are stored, and a later sync request still works.
 */
export async function notifyTokensSaved (app: Pick<FastifyInstance, 'tokenSaveListeners'>, athleteIds: number[], log: FastifyBaseLogger): Promise<void> {
  for (const listener of app.tokenSaveListeners) {
    await listener(athleteIds).catch(err => log.error({ err, athletes: athleteIds.length }, 'a token-save listener failed'))
  }
}
