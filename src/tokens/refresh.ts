import { setTimeout as sleep } from 'node:timers/promises'
import pLimit from 'p-limit'
import type { Database } from '../db/database.ts'
import { isDatabaseUnavailable } from '../db/errors.ts'
import type { TokenCipher } from './crypto.ts'
import type { RefreshCounts } from './schemas.ts'
import { claimDueTokens, invalidateToken, recordRefresh, recordRefreshFailure, releaseClaims, type ClaimedToken } from './queries.ts'
import { StravaError, type StravaClient } from './strava-client.ts'

export interface RefreshDependencies {
  db: Database
  cipher: TokenCipher
  strava: StravaClient
}

export interface RefreshOptions {
  athleteIds?: number[]
  withinMinutes?: number
  concurrency?: number
  /** Called after each token's outcome is stored, e.g. for a progress bar. */
  onProgress?: (done: number) => void
}

type Outcome = 'refreshed' | 'failed' | 'invalidated' | 'skipped' | 'misconfigured'

/** Strava rejected the application's credentials: the run stopped and no token changed. */
export class StravaMisconfiguredError extends Error {}

/**
 * How long a claimed row stays reserved for this run. A page is `concurrency × PAGE_ROUNDS`
 * rows, so a page takes at most PAGE_ROUNDS worst-case calls per slot; the lease covers that
 * with room to spare, and a row whose lease is running short is handed back, not called.
 */
const LEASE_SECONDS = 15 * 60
const PAGE_ROUNDS = 4
/** Time a single call may still take (all retries and waits) before its lease must end. */
const CALL_BUDGET_MS = 4 * 60 * 1000

/**
 * Strava has already invalidated the previous refresh token when this runs, so a brief
 * database outage is waited out rather than dropping the only working token.
 */
async function storeRotated (db: Database, token: Parameters<typeof recordRefresh>[1]): Promise<void> {
  for (const waitMs of [200, 1000, 3000]) {
    try {
      return await recordRefresh(db, token)
    } catch (err) {
      if (!isDatabaseUnavailable(err)) throw err
      await sleep(waitMs)
    }
  }
  await recordRefresh(db, token)
}

async function refreshOne ({ db, cipher, strava }: RefreshDependencies, claimed: ClaimedToken): Promise<Outcome> {
  let refreshToken: string
  try {
    refreshToken = cipher.open(claimed.refreshToken)
  } catch (err) {
    await recordRefreshFailure(db, claimed.athleteId, (err as Error).message.slice(0, 200))
    return 'failed'
  }
  try {
    const tokens = await strava.refresh(refreshToken)
    await storeRotated(db, {
      athleteId: claimed.athleteId,
      accessToken: cipher.seal(tokens.accessToken),
      refreshToken: cipher.seal(tokens.refreshToken),
      expiresAt: tokens.expiresAt
    })
    return 'refreshed'
  } catch (err) {
    if (!(err instanceof StravaError)) throw err
    if (err.failure === 'misconfigured') return 'misconfigured'
    if (err.failure === 'reauthorize') {
      await invalidateToken(db, claimed.athleteId, `Strava rejected the refresh token (HTTP ${err.status})`)
      return 'invalidated'
    }
    await recordRefreshFailure(db, claimed.athleteId, err.message.slice(0, 200))
    return 'failed'
  }
}

interface RunState {
  counts: RefreshCounts
  misconfigured: boolean
  leaseRanShort: boolean
  done: number
}

/** Refreshes one claimed page, `concurrency` calls at a time; returns the rows to hand back. */
async function refreshPage (deps: RefreshDependencies, page: ClaimedToken[], state: RunState, concurrency: number, onProgress?: (done: number) => void) {
  const limit = pLimit(concurrency)
  const leaseEndsAt = performance.now() + LEASE_SECONDS * 1000
  const handBack: number[] = []
  const settled = await Promise.allSettled(page.map(claimed => limit(async () => {
    if (state.misconfigured || performance.now() + CALL_BUDGET_MS > leaseEndsAt) {
      handBack.push(claimed.athleteId)
      if (!state.misconfigured) state.leaseRanShort = true
      return 'skipped'
    }
    const outcome = await refreshOne(deps, claimed)
    if (outcome === 'misconfigured') {
      state.misconfigured = true
      handBack.push(claimed.athleteId)
    } else {
      state.done++
      onProgress?.(state.done)
    }
    return outcome
  })))
  for (const result of settled) {
    if (result.status === 'fulfilled' && result.value !== 'misconfigured') state.counts[result.value]++
  }
  return { handBack, error: settled.find(r => r.status === 'rejected')?.reason as unknown }
}

/**
 * Refreshes every due token (active, access token expiring within `withinMinutes`), page by
 * page. Each rotated token is stored the moment Strava returns it. An `invalid_grant`
 * invalidates only that athlete; `invalid_client` stops the run, hands back its claims and
 * throws StravaMisconfiguredError. `skipped` counts requested athletes that were not due (or
 * held by another run) and claimed rows handed back unattempted.
 */
export async function refreshDueTokens (deps: RefreshDependencies, options: RefreshOptions = {}): Promise<RefreshCounts> {
  const started = performance.now()
  const { athleteIds, withinMinutes = 60, concurrency = 8, onProgress } = options
  const state: RunState = {
    counts: { checked: 0, refreshed: 0, failed: 0, invalidated: 0, skipped: 0, durationMs: 0 },
    misconfigured: false,
    leaseRanShort: false,
    done: 0
  }
  let untouchedSince: string | undefined
  while (!state.leaseRanShort) {
    const page = await claimDueTokens(deps.db, { athleteIds, withinMinutes, limit: concurrency * PAGE_ROUNDS, leaseSeconds: LEASE_SECONDS, untouchedSince })
    if (page.length === 0) break
    untouchedSince ??= page[0]!.claimedAt
    state.counts.checked += page.length
    const { handBack, error } = await refreshPage(deps, page, state, concurrency, onProgress)
    await releaseClaims(deps.db, handBack)
    if (state.misconfigured) throw new StravaMisconfiguredError('Strava rejected the client credentials (invalid_client); check STRAVA_CLIENT_ID and STRAVA_CLIENT_SECRET.')
    if (error) throw error
  }
  if (athleteIds) state.counts.skipped += new Set(athleteIds).size - state.counts.checked
  state.counts.durationMs = Math.round(performance.now() - started)
  return state.counts
}
