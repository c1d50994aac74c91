import type { Database } from '../db/database.ts'
import type { TokenCipher } from '../tokens/crypto.ts'
import { refreshDueTokens } from '../tokens/refresh.ts'
import { loadTokens } from '../tokens/store.ts'
import type { StravaClient } from '../tokens/strava-client.ts'
import { AccessRejectedError, StravaUnavailableError } from './api-client.ts'

/** The athlete has no usable Strava grant: only connecting again brings them back. */
export class DisconnectedError extends Error {}

export interface AccessDependencies {
  db: Database
  cipher: TokenCipher
  strava: StravaClient
  now: () => Date
}

/** An access token this close to expiry is refreshed before a call, so no call races its end. */
const REFRESH_MARGIN_S = 5 * 60
/** Any active token counts as due: after a 401 the stored access token is known to be bad. */
const FORCE_WITHIN_MINUTES = 365 * 24 * 60

/**
 * The stored token, read with its status in one query. The row's lock-free read is enough:
 * a token rotated meanwhile by another instance shows up as a 401 on the old one, which reads
 * the row again (see `athleteAccess`).
 */
async function storedToken (deps: AccessDependencies, athleteId: number) {
  const token = (await loadTokens(deps.db, deps.cipher, [athleteId])).get(athleteId)
  if (!token) throw new DisconnectedError('the athlete has no Strava token')
  if (token.status !== 'active') throw new DisconnectedError('the athlete has no usable Strava token; they must connect Strava again')
  return token
}

/**
 * Refreshes through the token refresh path, which claims the row with a lease (no other
 * instance refreshes it at once) and stores a rotated refresh token the moment it arrives.
 */
async function refresh (deps: AccessDependencies, athleteId: number, withinMinutes: number): Promise<void> {
  const counts = await refreshDueTokens(deps, { athleteIds: [athleteId], withinMinutes, concurrency: 1 })
  if (counts.invalidated > 0) throw new DisconnectedError('Strava rejected the refresh token (invalid_grant); the athlete must connect Strava again')
  if (counts.refreshed === 0) throw new StravaUnavailableError('the Strava token could not be refreshed now; the sync is retried')
}

/** A usable access token, refreshed first when it expires within five minutes. */
export async function accessTokenFor (deps: AccessDependencies, athleteId: number): Promise<string> {
  return (await usableToken(deps, athleteId, await storedToken(deps, athleteId))).accessToken
}

async function usableToken (deps: AccessDependencies, athleteId: number, token: Awaited<ReturnType<typeof storedToken>>) {
  if (token.expiresAt - deps.now().getTime() / 1000 > REFRESH_MARGIN_S) return token
  await refresh(deps, athleteId, REFRESH_MARGIN_S / 60)
  return storedToken(deps, athleteId)
}

export type AthleteAccess = <T>(call: (accessToken: string) => Promise<T>) => Promise<T>

/**
 * Strava calls for one athlete, for the length of one job: the token is read (and decrypted)
 * once and kept while it has more than five minutes left. A 401 reads the row again: a token
 * another instance rotated meanwhile is simply taken up; the same token rejected is refreshed
 * once (forced), and the call retried once.
 */
export function athleteAccess (deps: AccessDependencies, athleteId: number): AthleteAccess {
  let token: Awaited<ReturnType<typeof storedToken>> | undefined
  const current = async () => (token = await usableToken(deps, athleteId, token ?? await storedToken(deps, athleteId)))
  return async call => {
    const used = (await current()).accessToken
    try {
      return await call(used)
    } catch (err) {
      if (!(err instanceof AccessRejectedError)) throw err
      token = await storedToken(deps, athleteId)
      if (token.accessToken === used) {
        await refresh(deps, athleteId, FORCE_WITHIN_MINUTES)
        token = await storedToken(deps, athleteId)
      }
      return call(token.accessToken)
    }
  }
}

/** Runs one Strava call; a 401 refreshes the token once and retries once. */
export const withAccess = <T>(deps: AccessDependencies, athleteId: number, call: (accessToken: string) => Promise<T>): Promise<T> =>
  athleteAccess(deps, athleteId)(call)
