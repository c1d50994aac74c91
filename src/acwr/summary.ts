import { sql } from 'kysely'
import type { Static } from 'typebox'
import type { Database } from '../db/database.ts'
import type { AcwrSummary } from './schemas.ts'

export async function summarizeAcwr (db: Database): Promise<Static<typeof AcwrSummary>> {
  const row = await db.selectFrom('athletes')
    .leftJoin(
      eb => eb.selectFrom('acwr_daily')
        .select(inner => ['athlete_id', inner.fn.max('day').as('last_day'), inner.fn.max('computed_at').as('computed_at')])
        .groupBy('athlete_id')
        .as('series'),
      join => join.onRef('series.athlete_id', '=', 'athletes.id')
    )
    .where(eb => eb.exists(eb.selectFrom('activities').select(sql`1`.as('one')).whereRef('activities.athlete_id', '=', 'athletes.id')))
    .select(eb => [
      sql<number>`count(*)::int`.as('athletes'),
      sql<number>`(count(*) filter (where series.last_day is null
        or series.last_day < (now() at time zone ${eb.ref('athletes.timezone')})::date))::int`.as('athletesStale'),
      sql<Date | null>`max(series.computed_at)`.as('lastRecalculatedAt')
    ])
    .executeTakeFirstOrThrow()
  return { ...row, lastRecalculatedAt: row.lastRecalculatedAt?.toISOString() ?? null }
}
