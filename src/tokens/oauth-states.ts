import { createHash, timingSafeEqual } from 'node:crypto'
import type { CookieSerializeOptions } from '@fastify/cookie'
import { sql } from 'kysely'
import type { Database } from '../db/database.ts'
import { STATE_TTL_S } from './oauth.ts'

/** The cookie that binds a login's state to the browser that started it. */
export const STATE_COOKIE = 'trainload_oauth_state'

/**
 * HttpOnly so no script reads it; SameSite=Lax so it still comes along on Strava's top-level
 * redirect back to the callback, but not on a cross-site subrequest; scoped to the OAuth routes.
 */
export const stateCookieOptions = (publicUrl: string): CookieSerializeOptions => ({
  httpOnly: true,
  sameSite: 'lax',
  secure: publicUrl.startsWith('https:'),
  path: '/auth/strava',
  maxAge: STATE_TTL_S
})

const digest = (value: string) => createHash('sha256').update(value).digest()

/** True when the login cookie holds this very state; compared in constant time. */
export function cookieMatchesState (cookie: string | undefined, state: string): boolean {
  return cookie !== undefined && timingSafeEqual(digest(cookie), digest(state))
}

/**
 * Records that a state has been used, in one statement; false when it had been already, so a
 * state completes at most one login across every instance. Rows are kept until the state
 * expires (after that its signature refuses it anyway), and expired ones are removed here.
 */
export async function consumeState (db: Database, state: string, expiresAtS: number): Promise<boolean> {
  await db.deleteFrom('oauth_states').where('expires_at', '<', sql<Date>`now()`).execute()
  const inserted = await db.insertInto('oauth_states')
    .values({ state_hash: digest(state), expires_at: sql`to_timestamp(${expiresAtS})` })
    .onConflict(oc => oc.column('state_hash').doNothing())
    .returning('state_hash')
    .executeTakeFirst()
  return inserted !== undefined
}
