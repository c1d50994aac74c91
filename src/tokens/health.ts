import { sql } from 'kysely'
import type { Database } from '../db/database.ts'
import type { AthleteTokenHealth, TokenHealthReport, TokenStatus } from './schemas.ts'
import { EXPIRING_SOON_MINUTES, summarizeTokens } from './summary.ts'

/** Per athlete, the bucket summarizeTokens counts it in (same order of tests, same boundary). */
const tokenStatus = sql<TokenStatus>`case
  when strava_tokens.athlete_id is null then 'missing'
  when strava_tokens.status = 'invalid' then 'invalid'
  when strava_tokens.expires_at <= now() then 'expired'
  when strava_tokens.expires_at <= now() + make_interval(mins => ${EXPIRING_SOON_MINUTES}) then 'expiringSoon'
  else 'healthy' end`

export interface HealthQuery {
  status?: TokenStatus
  limit: number
  /** The last athlete id of the previous page. */
  afterAthleteId?: number
}

/** One page of athletes in id order, keyset-paged; no token material is selected. */
export async function listTokenHealth (db: Database, { status, limit, afterAthleteId }: HealthQuery): Promise<AthleteTokenHealth[]> {
  let query = db.selectFrom('athletes')
    .leftJoin('strava_tokens', 'strava_tokens.athlete_id', 'athletes.id')
    .select([
      'athletes.id as athleteId',
      tokenStatus.as('status'),
      sql<string | null>`to_char(strava_tokens.expires_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`.as('expiresAt'),
      sql<string | null>`to_char(strava_tokens.last_refreshed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`.as('lastRefreshedAt'),
      'strava_tokens.failure_count as failureCount',
      'strava_tokens.last_error as lastError'
    ])
    .orderBy('athletes.id')
    .limit(limit)
  if (afterAthleteId !== undefined) query = query.where('athletes.id', '>', afterAthleteId)
  if (status) query = query.where(tokenStatus, '=', status)
  return query.execute()
}

export async function tokenHealthReport (db: Database, query: HealthQuery): Promise<TokenHealthReport> {
  const [summary, page] = await Promise.all([
    summarizeTokens(db),
    listTokenHealth(db, { ...query, limit: query.limit + 1 })
  ])
  const athletes = page.slice(0, query.limit)
  const nextCursor = page.length > query.limit ? String(athletes.at(-1)!.athleteId) : null
  return { summary, athletes, nextCursor }
}
