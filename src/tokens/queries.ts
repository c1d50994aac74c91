import { sql, type Selectable, type Transaction, type UpdateObject } from 'kysely'
import type { Database } from '../db/database.ts'
import { unnestRows } from '../db/batch.ts'
import type { DB, StravaTokens, TokenEvents } from '../db/types.ts'

/** A token as stored: both values sealed by the TokenCipher, expiry in epoch seconds. */
export interface SealedToken {
  athleteId: number
  accessToken: string
  refreshToken: string
  expiresAt: number
  scope: string | null
}

export type TokenEvent = TokenEvents['event']

/**
 * The athletes among `athleteIds` that exist, locked against deletion (FOR KEY SHARE) until the
 * transaction ends, so that the tokens written next cannot lose their athlete midway.
 */
export async function lockExistingAthletes (trx: Transaction<DB>, athleteIds: number[]): Promise<Set<number>> {
  const rows = await trx.selectFrom('athletes').select('id')
    .where('id', '=', sql<number>`any(${athleteIds}::bigint[])`)
    .orderBy('id')
    .forKeyShare()
    .execute()
  return new Set(rows.map(r => r.id))
}

/**
 * One statement for any number of tokens. A save replaces the token and makes it active
 * again (an athlete who re-authorized is refreshable); it leaves a refresh lease alone.
 */
export async function upsertSealedTokens (trx: Transaction<DB>, tokens: SealedToken[]): Promise<void> {
  await trx.insertInto('strava_tokens')
    .columns(['athlete_id', 'access_token', 'refresh_token', 'expires_at', 'scope'])
    .expression(eb => eb.selectFrom(unnestRows('given', {
      athlete_id: { type: 'bigint[]', values: tokens.map(t => t.athleteId) },
      access_token: { type: 'text[]', values: tokens.map(t => t.accessToken) },
      refresh_token: { type: 'text[]', values: tokens.map(t => t.refreshToken) },
      expires_at: { type: 'float8[]', values: tokens.map(t => t.expiresAt) },
      scope: { type: 'text[]', values: tokens.map(t => t.scope) }
    })).select(eb => ['given.athlete_id', 'given.access_token', 'given.refresh_token',
      eb.fn<Date>('to_timestamp', ['given.expires_at']).as('expires_at'), 'given.scope'])
      // Key order: two batches over the same athletes take the row locks in one order.
      .orderBy('given.athlete_id'))
    .onConflict(oc => oc.column('athlete_id').doUpdateSet({
      access_token: eb => eb.ref('excluded.access_token'),
      refresh_token: eb => eb.ref('excluded.refresh_token'),
      expires_at: eb => eb.ref('excluded.expires_at'),
      scope: eb => eb.ref('excluded.scope'),
      status: 'active',
      invalid_since: null,
      failure_count: 0,
      last_error: null,
      updated_at: sql`now()`
    }))
    .execute()
}

export async function insertTokenEvents (trx: Database, athleteIds: number[], event: TokenEvent, detail: string | null = null): Promise<void> {
  if (athleteIds.length === 0) return
  await trx.insertInto('token_events')
    .columns(['athlete_id', 'event', 'detail'])
    .expression(eb => eb.selectFrom(unnestRows('given', { athlete_id: { type: 'bigint[]', values: athleteIds } }))
      .select(eb => ['given.athlete_id', eb.val(event).as('event'), eb.cast<string | null>(eb.val(detail), 'text').as('detail')]))
    .execute()
}

/** Replaces the sealed values of many tokens in one statement, leaving everything else as it was. */
export async function rewriteSealedTokens (trx: Transaction<DB>, tokens: Array<Pick<SealedToken, 'athleteId' | 'accessToken' | 'refreshToken'>>): Promise<void> {
  await trx.updateTable('strava_tokens')
    .from(unnestRows('given', {
      athlete_id: { type: 'bigint[]', values: tokens.map(t => t.athleteId) },
      access_token: { type: 'text[]', values: tokens.map(t => t.accessToken) },
      refresh_token: { type: 'text[]', values: tokens.map(t => t.refreshToken) }
    }))
    .set({ access_token: eb => eb.ref('given.access_token'), refresh_token: eb => eb.ref('given.refresh_token') })
    .whereRef('strava_tokens.athlete_id', '=', 'given.athlete_id')
    .execute()
}

export type TokenStatus = Selectable<StravaTokens>['status']

/** Sealed tokens of the listed athletes with their status, in one query. Only src/tokens opens them. */
export async function loadSealedTokens (db: Database, athleteIds: number[]): Promise<Array<SealedToken & { status: TokenStatus }>> {
  return db.selectFrom('strava_tokens')
    .select(['athlete_id as athleteId', 'access_token as accessToken', 'refresh_token as refreshToken', 'scope', 'status',
      sql<number>`extract(epoch from expires_at)::float8`.as('expiresAt')])
    .where('athlete_id', '=', sql<number>`any(${athleteIds}::bigint[])`)
    .execute()
}

export interface DueTokenFilter {
  athleteIds?: number[]
  withinMinutes: number
}

export interface ClaimOptions extends DueTokenFilter {
  limit: number
  leaseSeconds: number
  /** Leave out rows written at or after this instant: this run already tried them. */
  untouchedSince?: string
}

export interface ClaimedToken {
  athleteId: number
  refreshToken: string
  claimedAt: string
}

function dueTokens (db: Database, { athleteIds, withinMinutes }: DueTokenFilter) {
  let query = db.selectFrom('strava_tokens')
    .where('status', '=', 'active')
    .where('expires_at', '<=', sql<Date>`now() + make_interval(mins => ${withinMinutes})`)
    .where(eb => eb.or([eb('refresh_claimed_until', 'is', null), eb('refresh_claimed_until', '<', sql<Date>`now()`)]))
  if (athleteIds) query = query.where('athlete_id', '=', sql<number>`any(${athleteIds}::bigint[])`)
  return query
}

export async function countDueTokens (db: Database, filter: DueTokenFilter): Promise<number> {
  const row = await dueTokens(db, filter).select(sql<number>`count(*)::int`.as('count')).executeTakeFirstOrThrow()
  return row.count
}

/**
 * Claims due tokens in one statement. SKIP LOCKED passes over rows another run is claiming
 * at this instant, and the lease keeps them from every other run once this statement
 * commits, so two service instances never refresh the same athlete (a second refresh with
 * an already rotated token would be rejected and wrongly cost the athlete their login).
 */
export async function claimDueTokens (db: Database, options: ClaimOptions): Promise<ClaimedToken[]> {
  let due = dueTokens(db, options).select('athlete_id').orderBy('expires_at').limit(options.limit).forUpdate().skipLocked()
  if (options.untouchedSince) due = due.where('updated_at', '<', sql<Date>`${options.untouchedSince}::timestamptz`)
  return db.updateTable('strava_tokens')
    .set({ refresh_claimed_until: sql`now() + make_interval(secs => ${options.leaseSeconds})` })
    .from(due.as('due'))
    .whereRef('strava_tokens.athlete_id', '=', 'due.athlete_id')
    .returning(['strava_tokens.athlete_id as athleteId', 'strava_tokens.refresh_token as refreshToken',
      sql<string>`now()::text`.as('claimedAt')])
    .execute()
}

export async function releaseClaims (db: Database, athleteIds: number[]): Promise<void> {
  if (athleteIds.length === 0) return
  await db.updateTable('strava_tokens')
    .set({ refresh_claimed_until: null })
    .where('athlete_id', '=', sql<number>`any(${athleteIds}::bigint[])`)
    .execute()
}

/**
 * Stores rotated tokens and their audit events in one statement (so one implicit
 * transaction), as soon as Strava has returned them: their previous refresh tokens no longer
 * work. One statement for any number, so that tokens returned together commit together.
 */
export async function recordRefreshes (db: Database, tokens: Array<Omit<SealedToken, 'scope'>>): Promise<void> {
  await db.with('refreshed', db => db.updateTable('strava_tokens')
    .from(unnestRows('given', {
      athlete_id: { type: 'bigint[]', values: tokens.map(t => t.athleteId) },
      access_token: { type: 'text[]', values: tokens.map(t => t.accessToken) },
      refresh_token: { type: 'text[]', values: tokens.map(t => t.refreshToken) },
      expires_at: { type: 'float8[]', values: tokens.map(t => t.expiresAt) }
    }))
    .set(eb => ({
      access_token: eb.ref('given.access_token'),
      refresh_token: eb.ref('given.refresh_token'),
      expires_at: eb.fn<Date>('to_timestamp', ['given.expires_at']),
      last_refreshed_at: sql`now()`,
      failure_count: 0,
      last_error: null,
      refresh_claimed_until: null,
      updated_at: sql`now()`
    }))
    .whereRef('strava_tokens.athlete_id', '=', 'given.athlete_id')
    .returning('strava_tokens.athlete_id'))
    .insertInto('token_events').columns(['athlete_id', 'event'])
    .expression(eb => eb.selectFrom('refreshed').select(['athlete_id', sql.lit('refreshed').as('event')]))
    .execute()
}

/** A refresh that did not get an answer (Strava down, rate limited, timed out): retry later. */
export async function recordRefreshFailure (db: Database, athleteId: number, reason: string): Promise<void> {
  await updateTokenWithEvent(db, athleteId, 'refresh_failed', reason, {
    failure_count: sql<number>`failure_count + 1`
  })
}

/** Strava rejected this athlete's refresh token: only re-authorizing brings them back. */
export async function invalidateToken (db: Database, athleteId: number, reason: string): Promise<void> {
  await updateTokenWithEvent(db, athleteId, 'invalidated', reason, {
    status: 'invalid',
    invalid_since: sql<Date>`now()`
  })
}

/** Releases the athlete's lease, records `reason`, and audits it, in one statement. */
async function updateTokenWithEvent (
  db: Database,
  athleteId: number,
  event: Extract<TokenEvent, 'refresh_failed' | 'invalidated'>,
  reason: string,
  changes: UpdateObject<DB, 'strava_tokens'>
): Promise<void> {
  await db.with('changed', db => db.updateTable('strava_tokens')
    .set({ ...changes, last_error: reason, refresh_claimed_until: null, updated_at: sql`now()` })
    .where('athlete_id', '=', athleteId)
    .returning('athlete_id'))
    .insertInto('token_events').columns(['athlete_id', 'event', 'detail'])
    .expression(eb => eb.selectFrom('changed').select(['athlete_id', sql.lit(event).as('event'), sql<string>`${reason}::text`.as('detail')]))
    .execute()
}

/** Deletes tokens Strava rejected at least `days` ago; an active token is never touched. */
export async function deleteLongInvalidTokens (db: Database, days: number): Promise<number> {
  const rows = await db.with('deleted', db => db.deleteFrom('strava_tokens')
    .where('status', '=', 'invalid')
    .where('invalid_since', '<=', sql<Date>`now() - make_interval(days => ${days})`)
    .returning('athlete_id'))
    .insertInto('token_events').columns(['athlete_id', 'event', 'detail'])
    .expression(eb => eb.selectFrom('deleted').select(['athlete_id', sql.lit('deleted').as('event'), sql<string>`${`invalid for ${days}+ days`}::text`.as('detail')]))
    .returning('athlete_id')
    .execute()
  return rows.length
}
