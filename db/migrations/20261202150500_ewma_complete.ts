import { sql, type Kysely } from 'kysely'

// An EWMA seeded with the first day's load still gives that day (1 − λ)^(t − 1) of the
// chronic weight on day t: 14.5% on day 28 at C = 28. An EWMA series is now complete only
// once that share is below 5% (docs/science.md). Only the flag changes, so the stored EWMA
// rows are corrected in place, in one statement; the other models keep their rule.
export async function up (db: Kysely<any>): Promise<void> {
  await sql`
    update acwr_daily
    set complete = power(1 - 2::float8 / (athletes.chronic_days + 1), acwr_daily.day - first.day) < 0.05,
      computed_at = now()
    from athletes
    cross join lateral (select min(day) as day from activities where athlete_id = athletes.id) first
    where athletes.acwr_model = 'ewma' and acwr_daily.athlete_id = athletes.id
  `.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await sql`
    update acwr_daily
    set complete = acwr_daily.day - first.day + 1 >= athletes.chronic_days, computed_at = now()
    from athletes
    cross join lateral (select min(day) as day from activities where athlete_id = athletes.id) first
    where athletes.acwr_model = 'ewma' and acwr_daily.athlete_id = athletes.id
  `.execute(db)
}
