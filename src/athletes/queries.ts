import { sql } from 'kysely'
import type { AthleteRow } from '../db/athletes.ts'
import type { Database } from '../db/database.ts'
import type { AthleteUpsert } from './schemas.ts'

/** The names among `zones` that PostgreSQL does not know as timezones. */
export async function findUnknownTimezones (db: Database, zones: string[]): Promise<string[]> {
  if (zones.length === 0) return []
  const { rows } = await sql<{ name: string }>`
    select zone as name from unnest(${zones}::text[]) as zone
    where not exists (select 1 from pg_timezone_names where pg_timezone_names.name = zone)
  `.execute(db)
  return rows.map(row => row.name)
}

export interface UpsertedAthlete {
  id: number
  strava_athlete_id: number
  /** An existing athlete whose sex, heart rate or timezone changed: loads and ACWR are stale. */
  loads_changed: boolean
}

/**
 * One statement: inserts new athletes and updates existing ones, keyed by Strava athlete id.
 * A field left out keeps its stored value. Unchanged rows are not rewritten.
 */
export async function upsertAthleteRows (trx: Database, items: AthleteUpsert[]): Promise<UpsertedAthlete[]> {
  const column = <K extends keyof AthleteUpsert>(key: K) => items.map(item => item[key] ?? null)
  const { rows } = await sql<UpsertedAthlete>`
    with incoming as (
      select given.strava_athlete_id, existing.id as existing_id,
        coalesce(given.name, existing.name) as name,
        coalesce(given.sex, existing.sex) as sex,
        coalesce(given.resting_hr, existing.resting_hr) as resting_hr,
        coalesce(given.max_hr, existing.max_hr) as max_hr,
        coalesce(given.timezone, existing.timezone, 'UTC') as timezone,
        existing.id is not null as existed,
        existing.name as old_name, existing.sex as old_sex, existing.resting_hr as old_resting_hr,
        existing.max_hr as old_max_hr, existing.timezone as old_timezone
      from unnest(${column('stravaAthleteId')}::bigint[], ${column('name')}::text[], ${column('sex')}::text[],
          ${column('restingHr')}::smallint[], ${column('maxHr')}::smallint[], ${column('timezone')}::text[])
        as given (strava_athlete_id, name, sex, resting_hr, max_hr, timezone)
      left join athletes existing on existing.strava_athlete_id = given.strava_athlete_id
    ),
    written as (
      insert into athletes as stored (strava_athlete_id, name, sex, resting_hr, max_hr, timezone)
      select strava_athlete_id, name, sex, resting_hr, max_hr, timezone from incoming
      where not existed
        or (old_name, old_sex, old_resting_hr, old_max_hr, old_timezone) is distinct from (name, sex, resting_hr, max_hr, timezone)
      on conflict (strava_athlete_id) do update
        set (name, sex, resting_hr, max_hr, timezone, updated_at)
          = (excluded.name, excluded.sex, excluded.resting_hr, excluded.max_hr, excluded.timezone, now())
      returning id, strava_athlete_id
    )
    select coalesce(written.id, incoming.existing_id) as id, incoming.strava_athlete_id,
      incoming.existed and (old_sex, old_resting_hr, old_max_hr, old_timezone)
        is distinct from (incoming.sex, incoming.resting_hr, incoming.max_hr, incoming.timezone) as loads_changed
    from incoming left join written on written.strava_athlete_id = incoming.strava_athlete_id
  `.execute(trx)
  return rows
}

export interface SettingsRow {
  acwr_model: string
  acute_days: number
  chronic_days: number
  decay_rate: number
  resting_hr: number | null
  max_hr: number | null
  sex: string | null
  timezone: string
}

export async function updateAthleteSettings (trx: Database, athleteId: number, settings: SettingsRow): Promise<AthleteRow> {
  return trx.updateTable('athletes')
    .set({ ...settings, updated_at: sql`now()` })
    .where('id', '=', athleteId)
    .returningAll()
    .executeTakeFirstOrThrow()
}

/**
 * One page of athletes in id order. Keyset paging (`id > cursor`) keeps every page an index
 * range scan, however deep the caller pages; one extra row tells whether another page follows.
 */
export async function listAthletesPage (db: Database, { limit, afterId }: { limit: number, afterId?: number }) {
  const rows = await db.selectFrom('athletes')
    .select(['id', 'strava_athlete_id', 'name'])
    .$if(afterId !== undefined, query => query.where('id', '>', afterId!))
    .orderBy('id')
    .limit(limit + 1)
    .execute()
  const page = rows.slice(0, limit)
  return {
    athletes: page.map(row => ({ id: row.id, stravaAthleteId: row.strava_athlete_id, name: row.name })),
    nextCursor: rows.length > limit ? String(page.at(-1)!.id) : null
  }
}
