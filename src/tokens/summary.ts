import { sql } from 'kysely'
import type { Database } from '../db/database.ts'
import type { TokenSummary } from './schemas.ts'

/** Minutes left under which an access token counts as expiring soon (and is due for refresh). */
export const EXPIRING_SOON_MINUTES = 60

/**
 * Every athlete falls in exactly one bucket: no token (missing), a token Strava rejected
 * (invalid), or an active token classified by how long its access token has left. An expired
 * access token is still refreshable, so it is not invalid.
 */
export async function summarizeTokens (db: Database): Promise<TokenSummary> {
  const row = await db.selectFrom('athletes')
    .leftJoin('strava_tokens', 'strava_tokens.athlete_id', 'athletes.id')
    .select([
      sql<number>`count(*)::int`.as('total'),
      sql<number>`(count(*) filter (where strava_tokens.athlete_id is null))::int`.as('missing'),
      sql<number>`(count(*) filter (where strava_tokens.status = 'invalid'))::int`.as('invalid'),
      sql<number>`(count(*) filter (where strava_tokens.status = 'active' and strava_tokens.expires_at <= now()))::int`.as('expired'),
      sql<number>`(count(*) filter (where strava_tokens.status = 'active' and strava_tokens.expires_at > now()
        and strava_tokens.expires_at <= now() + make_interval(mins => ${EXPIRING_SOON_MINUTES})))::int`.as('expiringSoon'),
      sql<number>`(count(*) filter (where strava_tokens.status = 'active'
        and strava_tokens.expires_at > now() + make_interval(mins => ${EXPIRING_SOON_MINUTES})))::int`.as('healthy')
    ])
    .executeTakeFirstOrThrow()
  return row
}
