import { sql, type Transaction } from 'kysely'
import type { AthleteRow } from '../db/athletes.ts'
import { anyOf, rowsDiffer, unnestRows } from '../db/batch.ts'
import type { Database } from '../db/database.ts'
import type { DB } from '../db/types.ts'
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

function athleteBatch (items: AthleteUpsert[]) {
  const column = <K extends keyof AthleteUpsert>(key: K) => items.map(item => item[key] ?? null)
  return unnestRows('given', {
    strava_athlete_id: { type: 'bigint[]', values: column('stravaAthleteId') },
    name: { type: 'text[]', values: column('name') },
    sex: { type: 'text[]', values: column('sex') },
    resting_hr: { type: 'smallint[]', values: column('restingHr') },
    max_hr: { type: 'smallint[]', values: column('maxHr') },
    timezone: { type: 'text[]', values: column('timezone') }
  })
}

/**
 * Locks the stored athletes among `stravaIds` in id order, the order every other multi-athlete
 * lock takes (lockAthletes), so a batch upsert and a batch recompute cannot deadlock over them.
 */
export async function lockAthletesByStravaId (trx: Transaction<DB>, stravaIds: number[]): Promise<void> {
  await trx.selectFrom('athletes').select('id')
    .where('strava_athlete_id', '=', anyOf(stravaIds))
    .orderBy('id')
    .forNoKeyUpdate()
    .execute()
}

/**
 * One statement: inserts new athletes and updates existing ones, keyed by Strava athlete id.
 * A field left out keeps its stored value. Unchanged rows are not rewritten. `loads_changed`
 * marks an existing athlete whose sex, heart rate or timezone changed: their loads and ACWR
 * are stale. Rows are written in Strava id order, so two batches that insert the same new
 * athletes wait for each other in one order and cannot deadlock.
 */
export async function upsertAthleteRows (trx: Transaction<DB>, items: AthleteUpsert[]) {
  return trx
    .with('incoming', db => db.selectFrom(athleteBatch(items))
      .leftJoin('athletes as existing', 'existing.strava_athlete_id', 'given.strava_athlete_id')
      .select(eb => [
        'given.strava_athlete_id', 'existing.id as existing_id',
        eb.fn.coalesce('given.name', 'existing.name').as('name'),
        eb.fn.coalesce('given.sex', 'existing.sex').as('sex'),
        eb.fn.coalesce('given.resting_hr', 'existing.resting_hr').as('resting_hr'),
        eb.fn.coalesce('given.max_hr', 'existing.max_hr').as('max_hr'),
        eb.fn.coalesce('given.timezone', 'existing.timezone', sql.lit('UTC')).as('timezone'),
        eb('existing.id', 'is not', null).as('existed'),
        'existing.name as old_name', 'existing.sex as old_sex', 'existing.resting_hr as old_resting_hr',
        'existing.max_hr as old_max_hr', 'existing.timezone as old_timezone'
      ]))
    .with('written', db => db.insertInto('athletes')
      .columns(['strava_athlete_id', 'name', 'sex', 'resting_hr', 'max_hr', 'timezone'])
      .expression(db.selectFrom('incoming')
        .select(['strava_athlete_id', 'name', 'sex', 'resting_hr', 'max_hr', 'timezone'])
        .where(eb => eb.or([
          eb.not('existed'),
          rowsDiffer(
            [eb.ref('old_name'), eb.ref('old_sex'), eb.ref('old_resting_hr'), eb.ref('old_max_hr'), eb.ref('old_timezone')],
            [eb.ref('name'), eb.ref('sex'), eb.ref('resting_hr'), eb.ref('max_hr'), eb.ref('timezone')])
        ]))
        .orderBy('strava_athlete_id'))
      .onConflict(oc => oc.column('strava_athlete_id').doUpdateSet({
        name: eb => eb.ref('excluded.name'),
        sex: eb => eb.ref('excluded.sex'),
        resting_hr: eb => eb.ref('excluded.resting_hr'),
        max_hr: eb => eb.ref('excluded.max_hr'),
        timezone: eb => eb.ref('excluded.timezone'),
        updated_at: sql`now()`
      }))
      .returning(['id', 'strava_athlete_id']))
    .selectFrom('incoming')
    .leftJoin('written', 'written.strava_athlete_id', 'incoming.strava_athlete_id')
    .select(eb => [
      eb.fn.coalesce('written.id', 'incoming.existing_id').$notNull().as('id'),
      'incoming.strava_athlete_id',
      eb.and([
        eb.ref('incoming.existed'),
        rowsDiffer(
          [eb.ref('old_sex'), eb.ref('old_resting_hr'), eb.ref('old_max_hr'), eb.ref('old_timezone')],
          [eb.ref('incoming.sex'), eb.ref('incoming.resting_hr'), eb.ref('incoming.max_hr'), eb.ref('incoming.timezone')])
      ]).$castTo<boolean>().as('loads_changed')
    ])
    .execute()
}

/** The settings an athlete can change, as stored. */
export type SettingsRow = Pick<AthleteRow, 'acwr_model' | 'acute_days' | 'chronic_days' | 'decay_rate' | 'ctl_days' | 'atl_days' |
  'resting_hr' | 'max_hr' | 'sex' | 'timezone'>

export async function updateAthleteSettings (trx: Transaction<DB>, athleteId: number, settings: SettingsRow): Promise<AthleteRow> {
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
