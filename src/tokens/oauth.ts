import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { sql } from 'kysely'
import { issueApiKey } from '../athletes/api-keys.ts'
import type { Database } from '../db/database.ts'
import type { TokenCipher } from './crypto.ts'
import { saveSealedTokens } from './store.ts'
import type { StravaClient } from './strava-client.ts'

export const OAUTH_SCOPE = 'read,activity:read_all'
export const STATE_TTL_S = 10 * 60

/**
 * The state key is derived from the token key rather than being the key itself, so a leak of
 * one signature scheme's key material never hands over the other.
 */
export function stateKeyFrom (tokenKey: string): Buffer {
  return createHmac('sha256', Buffer.from(tokenKey, 'base64')).update('trainload oauth state v1').digest()
}

const sign = (key: Buffer, payload: string) => createHmac('sha256', key).update(payload).digest('base64url')

/** `<expiry epoch s>.<nonce>.<hmac>`: self-contained, so any instance can verify it. */
export function createState (key: Buffer, nowMs = Date.now()): string {
  const payload = `${Math.floor(nowMs / 1000) + STATE_TTL_S}.${randomBytes(16).toString('base64url')}`
  return `${payload}.${sign(key, payload)}`
}

/** The expiry (epoch s) of a state this service signed and that has not expired, else undefined. */
export function stateExpiry (key: Buffer, state: string, nowMs = Date.now()): number | undefined {
  const parts = state.split('.')
  if (parts.length !== 3) return undefined
  const [expiry, nonce, signature] = parts as [string, string, string]
  const expected = Buffer.from(sign(key, `${expiry}.${nonce}`))
  const given = Buffer.from(signature)
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined
  return /^\d+$/.test(expiry) && Number(expiry) * 1000 > nowMs ? Number(expiry) : undefined
}

export const isValidState = (key: Buffer, state: string, nowMs = Date.now()): boolean => stateExpiry(key, state, nowMs) !== undefined

/** Strava's scopes, either of which lets trainload read the athlete's activities. */
const ACTIVITY_SCOPES = ['activity:read', 'activity:read_all']

/** Strava reports the scopes the athlete granted as a comma-separated list. */
export const grantsActivities = (scope: string | undefined): boolean =>
  (scope ?? '').split(',').some(granted => ACTIVITY_SCOPES.includes(granted.trim()))

export function authorizeUrl ({ baseUrl, clientId, publicUrl, state }: { baseUrl: string, clientId: string, publicUrl: string, state: string }): string {
  const url = new URL('/oauth/authorize', baseUrl)
  url.search = new URLSearchParams({
    client_id: clientId,
    redirect_uri: new URL('/auth/strava/callback', publicUrl).href,
    response_type: 'code',
    approval_prompt: 'auto',
    scope: OAUTH_SCOPE,
    state
  }).toString()
  return url.href
}

export interface CompletedLogin {
  athleteId: number
  apiKey: string
}

/**
 * Exchanges the code, then in one transaction upserts the athlete by Strava athlete id (a
 * returning athlete keeps their row and settings), stores the tokens sealed and issues an
 * API key. The exchange happens first: Strava codes are single-use, and nothing is written
 * unless it succeeded.
 */
export async function completeLogin ({ db, cipher, strava }: { db: Database, cipher: TokenCipher, strava: StravaClient }, code: string, scope: string | null): Promise<CompletedLogin> {
  const exchanged = await strava.exchangeCode(code)
  const name = [exchanged.athlete.firstname, exchanged.athlete.lastname].filter(Boolean).join(' ').slice(0, 200) || null
  const sealed = {
    accessToken: cipher.seal(exchanged.accessToken),
    refreshToken: cipher.seal(exchanged.refreshToken),
    expiresAt: exchanged.expiresAt,
    scope
  }
  return db.transaction().execute(async trx => {
    const athlete = await trx.insertInto('athletes')
      .values({ strava_athlete_id: exchanged.athlete.id, name })
      .onConflict(oc => oc.column('strava_athlete_id').doUpdateSet({ updated_at: sql`now()` }))
      .returning('id')
      .executeTakeFirstOrThrow()
    await saveSealedTokens(trx, [{ athleteId: athlete.id, ...sealed }], 'oauth login')
    const { apiKey } = await issueApiKey(trx, athlete.id)
    return { athleteId: athlete.id, apiKey }
  })
}
