import { sql } from 'kysely'
import type { Database } from '../db/database.ts'
import type { TokenCipher } from './crypto.ts'
import { insertTokenEvents, rewriteSealedTokens } from './queries.ts'

const currentPrefix = (cipher: TokenCipher) => `v1.${cipher.currentKeyId}.%`

function staleTokens (db: Database, cipher: TokenCipher) {
  return db.selectFrom('strava_tokens')
    .where(eb => eb.or([
      eb('access_token', 'not like', currentPrefix(cipher)),
      eb('refresh_token', 'not like', currentPrefix(cipher))
    ]))
}

export async function countStaleTokens (db: Database, cipher: TokenCipher): Promise<number> {
  const row = await staleTokens(db, cipher).select(sql<number>`count(*)::int`.as('count')).executeTakeFirstOrThrow()
  return row.count
}

/**
 * Re-encrypts one batch under the current key in its own transaction: rows are locked while
 * they are rewritten, so a refresh storing a new token waits and never gets overwritten by a
 * stale copy. Returns the number of rows rewritten.
 */
async function rotateBatch (db: Database, cipher: TokenCipher, batchSize: number): Promise<number> {
  return db.transaction().execute(async trx => {
    const rows = await staleTokens(trx, cipher)
      .select(['athlete_id', 'access_token', 'refresh_token'])
      .orderBy('athlete_id')
      .limit(batchSize)
      .forUpdate()
      .execute()
    if (rows.length === 0) return 0
    const ids = rows.map(r => r.athlete_id)
    const reseal = (sealed: string) => cipher.isStale(sealed) ? cipher.seal(cipher.open(sealed)) : sealed
    await rewriteSealedTokens(trx, rows.map(r => ({ athleteId: r.athlete_id, accessToken: reseal(r.access_token), refreshToken: reseal(r.refresh_token) })))
    await insertTokenEvents(trx, ids, 're_encrypted', `key ${cipher.currentKeyId}`)
    return rows.length
  })
}

/**
 * Re-encrypts every token not sealed under the current key, batch by batch. A token under a
 * key that is neither current nor listed in TOKEN_ENCRYPTION_PREVIOUS_KEYS stops the run with
 * an error naming the key id; batches already committed stay rotated.
 */
export async function rotateTokenKey (db: Database, cipher: TokenCipher, { batchSize = 500, onProgress }: { batchSize?: number, onProgress?: (done: number) => void } = {}): Promise<number> {
  let done = 0
  for (let rotated = await rotateBatch(db, cipher, batchSize); rotated > 0; rotated = await rotateBatch(db, cipher, batchSize)) {
    done += rotated
    onProgress?.(done)
  }
  return done
}
