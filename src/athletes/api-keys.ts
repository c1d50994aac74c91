import { createHash, randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import type { Database } from '../db/database.ts'

const KEY_PREFIX = 'tl_'

export const hashApiKey = (key: string): Buffer => createHash('sha256').update(key).digest()

/**
 * Issues a new key for an athlete. The key itself is returned once and never stored: the
 * database keeps its SHA-256 and a short prefix so people can tell their keys apart.
 */
export async function issueApiKey (db: Database, athleteId: number): Promise<{ apiKey: string, prefix: string }> {
  const apiKey = KEY_PREFIX + randomBytes(24).toString('base64url')
  const prefix = apiKey.slice(0, 11)
  await db.insertInto('api_keys')
    .values({ athlete_id: athleteId, key_hash: hashApiKey(apiKey), prefix })
    .execute()
  return { apiKey, prefix }
}

/** How stale `last_used_at` may get: recording every request would turn each read into a write. */
const LAST_USED_RESOLUTION_S = 60

/** The athlete an unrevoked key belongs to, or undefined. */
export async function findApiKeyAthlete (db: Database, apiKey: string): Promise<number | undefined> {
  if (!apiKey.startsWith(KEY_PREFIX)) return undefined
  const row = await db.selectFrom('api_keys')
    .select(['athlete_id', 'id', sql<boolean>`last_used_at is null or last_used_at < now() - make_interval(secs => ${LAST_USED_RESOLUTION_S})`.as('stale')])
    .where('key_hash', '=', hashApiKey(apiKey))
    .where('revoked_at', 'is', null)
    .executeTakeFirst()
  if (row?.stale) {
    await db.updateTable('api_keys').set({ last_used_at: sql`now()` })
      .where('athlete_id', '=', row.athlete_id).where('id', '=', row.id)
      .execute()
  }
  return row?.athlete_id
}

export async function revokeApiKeys (db: Database, athleteId: number): Promise<number> {
  const result = await db.updateTable('api_keys')
    .set({ revoked_at: sql`now()` })
    .where('athlete_id', '=', athleteId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
}
