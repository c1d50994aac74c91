import { sql, type Kysely } from 'kysely'
import { externalLoad } from '../../src/activities/loads.ts'

// Every Strava sport type now has its own load rule, an unknown one is scored by time instead
// of as running distance, a distance-based sport without a distance by time instead of as 0,
// and ride load per mile is continuous in speed (docs/science.md, "External load"). Stored
// loads are rewritten with the rules themselves, so the migration and the ingest can never
// disagree: the activities are read in key order, a chunk at a time so that memory stays
// bounded, and each chunk's changed loads are written back in one statement.
//
// A series is derived data: the series of every athlete whose loads changed is removed, and
// the next read, roll-forward or `trainload acwr recalc` computes it again, PMC included.
// The migration does not run the ACWR statement itself, because that statement follows the
// newest schema and would fail against the schema as it stands at this migration.
const CHUNK_ROWS = 5000

interface StoredActivity {
  athlete_id: string
  id: string
  sport_type: string
  moving_time_s: number
  distance_m: number | null
  elevation_gain_m: number | null
  perceived_effort: number | null
  external_load: number
}

async function readChunk (db: Kysely<any>, after: StoredActivity | undefined) {
  const { rows } = await sql<StoredActivity>`
    select athlete_id, id, sport_type, moving_time_s, distance_m, elevation_gain_m, perceived_effort, external_load
    from activities
    where ${after ? sql`(athlete_id, id) > (${after.athlete_id}::bigint, ${after.id}::bigint)` : sql`true`}
    order by athlete_id, id
    limit ${CHUNK_ROWS}
  `.execute(db)
  return rows
}

/** Rewrites the chunk's changed loads in one statement; returns the athletes concerned. */
async function rewriteLoads (db: Kysely<any>, rows: StoredActivity[]): Promise<string[]> {
  const changed = rows
    .map(row => ({
      ...row,
      load: externalLoad({
        sportType: row.sport_type,
        movingTimeS: row.moving_time_s,
        distanceM: row.distance_m,
        elevationGainM: row.elevation_gain_m,
        perceivedEffort: row.perceived_effort
      })
    }))
    .filter(row => row.load !== Number(row.external_load))
  if (changed.length === 0) return []
  await sql`
    update activities set external_load = given.load, updated_at = now()
    from unnest(${changed.map(row => row.athlete_id)}::bigint[], ${changed.map(row => row.id)}::bigint[],
      ${changed.map(row => row.load)}::float8[]) as given (athlete_id, id, load)
    where activities.athlete_id = given.athlete_id and activities.id = given.id
  `.execute(db)
  return changed.map(row => row.athlete_id)
}

export async function up (db: Kysely<any>): Promise<void> {
  const athletes = new Set<string>()
  let after: StoredActivity | undefined
  for (;;) {
    const rows = await readChunk(db, after)
    if (rows.length === 0) break
    for (const athleteId of await rewriteLoads(db, rows)) athletes.add(athleteId)
    after = rows.at(-1)
  }
  if (athletes.size === 0) return
  await sql`delete from acwr_daily where athlete_id = any(${[...athletes]}::bigint[])`.execute(db)
}

// The earlier rules are no longer in the code, so the loads cannot be put back; the rows stay
// as they are, valid under the new rules.
export async function down (): Promise<void> {}
