import { setTimeout as sleep } from 'node:timers/promises'
import type { Database } from '../db/database.ts'
import { isDatabaseUnavailable } from '../db/errors.ts'
import type { TokenCipher } from './crypto.ts'
import type { RefreshCounts } from './schemas.ts'
import { claimDueTokens, invalidateToken, recordRefreshes, recordRefreshFailure, releaseClaims, type ClaimedToken, type DueTokenFilter } from './queries.ts'
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
 * How long a claimed row stays reserved for this run. Rows are claimed `concurrency ×
 * CLAIM_ROUNDS` at a time, the next claim starting while fewer than `concurrency` rows wait,
 * so a row waits for at most CLAIM_ROUNDS + 1 calls per slot; a row whose lease is running
 * short by then is handed back, not called.
 */
const LEASE_SECONDS = 15 * 60
const CLAIM_ROUNDS = 4
/** Time a single call may still take (all retries and waits) before its lease must end. */
const CALL_BUDGET_MS = 4 * 60 * 1000

type RotatedToken = Parameters<typeof recordRefreshes>[1][number]

/**
 * Strava has already invalidated the previous refresh tokens when this runs, so a brief
 * database outage is waited out rather than dropping the only working tokens.
 */
async function storeRotated (db: Database, tokens: RotatedToken[]): Promise<void> {
  for (const waitMs of [200, 1000, 3000]) {
    try {
      return await recordRefreshes(db, tokens)
    } catch (err) {
      if (!isDatabaseUnavailable(err)) throw err
      await sleep(waitMs)
    }
  }
  await recordRefreshes(db, tokens)
}

interface Waiter {
  token: RotatedToken
  resolve: () => void
  reject: (err: unknown) => void
}

/**
 * Writes of rotated tokens in flight at once. A token that arrives while this many are running
 * joins the next write with every other token that arrived meanwhile, in one statement; below
 * it, a token is written at once, since PostgreSQL already flushes concurrent commits to the
 * WAL together and a token waiting for another write would wait for two commits.
 */
const MAX_WRITES = 4

/**
 * Group commit of rotated tokens. A caller is released only once its own row has committed,
 * and keeps its concurrency slot until then, so nothing else happens for a token before its
 * rotated value is stored, and a killed run loses at most the calls in flight. At low
 * concurrency a write usually carries one token, as before; at high concurrency it saves a
 * commit per token.
 */
function groupCommit (db: Database): (token: RotatedToken) => Promise<void> {
  let waiting: Waiter[] = []
  let writes = 0
  // Never rejects: an error goes to the callers whose rows it failed.
  const write = async (batch: Waiter[]): Promise<void> => {
    try {
      await storeRotated(db, batch.map(waiter => waiter.token))
      for (const waiter of batch) waiter.resolve()
    } catch (err) {
      if (batch.length === 1 || isDatabaseUnavailable(err)) {
        for (const waiter of batch) waiter.reject(err)
        return
      }
      // One row the statement refuses must not cost the others their rotated tokens.
      for (const waiter of batch) await write([waiter])
    }
  }
  const drain = async () => {
    writes++
    while (waiting.length > 0) {
      const batch = waiting
      waiting = []
      await write(batch)
    }
    writes--
  }
  return token => new Promise<void>((resolve, reject) => {
    waiting.push({ token, resolve, reject })
    if (writes < MAX_WRITES) drain()
  })
}

async function refreshOne ({ db, cipher, strava }: RefreshDependencies, store: (token: RotatedToken) => Promise<void>, claimed: ClaimedToken): Promise<Outcome> {
  let refreshToken: string
  try {
    refreshToken = cipher.open(claimed.refreshToken)
  } catch (err) {
    await recordRefreshFailure(db, claimed.athleteId, (err as Error).message.slice(0, 200))
    return 'failed'
  }
  try {
    const tokens = await strava.refresh(refreshToken)
    await store({
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
  /** Set by invalid_client, a lease running short or an unexpected error: no new call starts. */
  stopping: boolean
  misconfigured: boolean
  error?: unknown
  done: number
}

interface Claim {
  token: ClaimedToken
  leaseEndsAt: number
}

/**
 * The claimed rows waiting for a slot. The next page is claimed in the background while
 * fewer than `concurrency` rows wait, so that every slot starts its next call as soon as its
 * last one is stored, instead of a page ending with its slowest call.
 */
function claimStream (db: Database, filter: DueTokenFilter, concurrency: number, state: RunState) {
  const waiting: Claim[] = []
  let claiming: Promise<void> | undefined
  let exhausted = false
  // Rows this run wrote (refreshed, failed) are not claimed again.
  let untouchedSince: string | undefined
  const claimPage = async () => {
    const page = await claimDueTokens(db, { ...filter, limit: concurrency * CLAIM_ROUNDS, leaseSeconds: LEASE_SECONDS, untouchedSince })
    const leaseEndsAt = performance.now() + LEASE_SECONDS * 1000
    exhausted = page.length === 0
    untouchedSince ??= page[0]?.claimedAt
    state.counts.checked += page.length
    waiting.push(...page.map(token => ({ token, leaseEndsAt })))
  }
  return {
    /** The next row to refresh, or undefined once no row is due or the run is stopping. */
    async next (): Promise<Claim | undefined> {
      while (!state.stopping) {
        if (waiting.length < concurrency && !exhausted && !claiming) {
          claiming = claimPage()
            .catch((err: unknown) => { state.error ??= err; state.stopping = true })
            .finally(() => { claiming = undefined })
        }
        if (waiting.length > 0) return waiting.shift()
        if (exhausted) return undefined
        await claiming
      }
      return undefined
    },
    /** Once any claim in progress has ended: the rows claimed that no slot took. */
    async unstarted (): Promise<number[]> {
      await claiming
      return waiting.splice(0).map(claim => claim.token.athleteId)
    }
  }
}

/**
 * Refreshes every due token (active, access token expiring within `withinMinutes`), with
 * `concurrency` calls in flight at all times. Each rotated token is stored as soon as Strava
 * returns it, before its slot takes another. An `invalid_grant` invalidates only that
 * athlete; `invalid_client` stops the run, hands back its claims and throws
 * StravaMisconfiguredError. `skipped` counts requested athletes that were not due (or held
 * by another run) and claimed rows handed back unattempted.
 */
export async function refreshDueTokens (deps: RefreshDependencies, options: RefreshOptions = {}): Promise<RefreshCounts> {
  const started = performance.now()
  const { athleteIds, withinMinutes = 60, concurrency = 8, onProgress } = options
  const state: RunState = {
    counts: { checked: 0, refreshed: 0, failed: 0, invalidated: 0, skipped: 0, durationMs: 0 },
    stopping: false,
    misconfigured: false,
    done: 0
  }
  const claims = claimStream(deps.db, { athleteIds, withinMinutes }, concurrency, state)
  const store = groupCommit(deps.db)
  const handBack: number[] = []
  const slot = async () => {
    for (let claim = await claims.next(); claim; claim = await claims.next()) {
      const { athleteId } = claim.token
      if (performance.now() + CALL_BUDGET_MS > claim.leaseEndsAt) {
        handBack.push(athleteId)
        state.stopping = true
        continue
      }
      try {
        const outcome = await refreshOne(deps, store, claim.token)
        if (outcome === 'misconfigured') {
          state.misconfigured = state.stopping = true
          handBack.push(athleteId)
          continue
        }
        state.counts[outcome]++
        onProgress?.(++state.done)
      } catch (err) {
        state.error ??= err
        state.stopping = true
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, slot))
  handBack.push(...await claims.unstarted())
  await releaseClaims(deps.db, handBack)
  if (state.misconfigured) throw new StravaMisconfiguredError('Strava rejected the client credentials (invalid_client); check STRAVA_CLIENT_ID and STRAVA_CLIENT_SECRET.')
  if (state.error) throw state.error
  state.counts.skipped += handBack.length
  if (athleteIds) state.counts.skipped += new Set(athleteIds).size - state.counts.checked
  state.counts.durationMs = Math.round(performance.now() - started)
  return state.counts
}
