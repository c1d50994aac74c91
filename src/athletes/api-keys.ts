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
export const LAST_USED_RESOLUTION_S = 60

export interface ApiKeyOwner {
  athleteId: number
  keyId: number
}

/**
 * The athlete and key id of an unrevoked key, or undefined. Using the key stamps
 * `last_used_at`, at most once per LAST_USED_RESOLUTION_S per key.
 */
export async function findApiKey (db: Database, apiKey: string): Promise<ApiKeyOwner | undefined> {
  if (!apiKey.startsWith(KEY_PREFIX)) return undefined
  const row = await db.selectFrom('api_keys')
    .select(['athlete_id', 'id', sql<boolean>`last_used_at is null or last_used_at < now() - make_interval(secs => ${LAST_USED_RESOLUTION_S})`.as('stale')])
    .where('key_hash', '=', hashApiKey(apiKey))
    .where('revoked_at', 'is', null)
    .executeTakeFirst()
  if (!row) return undefined
  if (row.stale) await stampLastUsed(db, row.athlete_id, row.id)
  return { athleteId: row.athlete_id, keyId: row.id }
}

/** The condition repeats the staleness test, so concurrent requests with one key write once. */
async function stampLastUsed (db: Database, athleteId: number, keyId: number): Promise<void> {
  await db.updateTable('api_keys').set({ last_used_at: sql`now()` })
    .where('athlete_id', '=', athleteId).where('id', '=', keyId)
    .where(eb => eb.or([
      eb('last_used_at', 'is', null),
      eb('last_used_at', '<', sql<Date>`now() - make_interval(secs => ${LAST_USED_RESOLUTION_S})`)
    ]))
    .execute()
}

export async function revokeApiKeys (db: Database, athleteId: number): Promise<number> {
  const result = await db.updateTable('api_keys')
    .set({ revoked_at: sql`now()` })
    .where('athlete_id', '=', athleteId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
}

export interface ApiKeyView {
  id: number
  prefix: string
  createdAt: string
  lastUsedAt: string | null
  revokedAt: string | null
}

const iso = (value: Date | null) => value && value.toISOString()

/** An athlete's keys, newest first: what tells them apart, never the key or its hash. */
export async function listApiKeys (db: Database, athleteId: number): Promise<ApiKeyView[]> {
  const rows = await db.selectFrom('api_keys')
    .select(['id', 'prefix', 'created_at', 'last_used_at', 'revoked_at'])
    .where('athlete_id', '=', athleteId)
    .orderBy('id', 'desc')
    .execute()
  return rows.map(row => ({
    id: row.id,
    prefix: row.prefix,
    createdAt: iso(row.created_at)!,
    lastUsedAt: iso(row.last_used_at),
    revokedAt: iso(row.revoked_at)
  }))
}

/**
 * Revokes one of the athlete's keys; false when the athlete has no such key. Revoking a key
 * already revoked keeps its first revocation time. The next request with it is refused, as
 * every request looks the key up.
 */
export async function revokeApiKey (db: Database, athleteId: number, keyId: number): Promise<boolean> {
  const row = await db.updateTable('api_keys')
    .set({ revoked_at: sql`coalesce(revoked_at, now())` })
    .where('athlete_id', '=', athleteId)
    .where('id', '=', keyId)
    .returning('id')
    .executeTakeFirst()
  return row !== undefined
}
