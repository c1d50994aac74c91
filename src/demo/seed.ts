import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { sql } from 'kysely'
import type { Database } from '../db/database.ts'
import { upsertActivities } from '../activities/service.ts'
import { issueApiKey, revokeApiKeys } from '../athletes/api-keys.ts'
import { upsertAthletes } from '../athletes/service.ts'
import { DEMO_ATHLETE_COUNT, DEMO_DAYS, DEMO_TIMEZONES, demoFleet } from './fleet.ts'

export interface DemoSeedOptions {
  /** The last day of the fleet's history. */
  today: string
  /** A smaller fleet for tests: the first `athletes` of the 25... */
  athletes?: number
  /** ...and only their last `days` days of history. */
  days?: number
  onProgress?: (athletesDone: number, athletesTotal: number) => void
}

export interface DemoSeedReport {
  athletes: number
  activities: number
  /** Activities inserted or changed: 0 when the same fleet is seeded again. */
  upserted: number
  acwrDays: number
  demoAthlete: { id: number, apiKey: string }
}

/**
 * The day the demo history ends on: today where it is earliest among the demo athletes'
 * timezones, so that nobody's latest activity lies in their future.
 */
export function demoToday (now = new Date()): string {
  const localDays = DEMO_TIMEZONES.map(timeZone => new Intl.DateTimeFormat('en-CA', { timeZone }).format(now))
  return localDays.sort()[0]!
}

function lastDays (today: string, days: number): (startDateLocal: string) => boolean {
  const first = new Date(Date.parse(`${today}T00:00:00Z`) - (days - 1) * 86_400_000).toISOString().slice(0, 10)
  return startDateLocal => startDateLocal.slice(0, 10) >= first
}

/**
 * Loads the demo fleet through the same batch services as the API: one athletes upsert, then
 * one activities batch per athlete (each recomputing that athlete's ACWR). Upserts throughout,
 * so seeding again on the same day changes nothing. The first demo athlete gets a fresh API
 * key; their earlier keys are revoked, so only the latest one works.
 */
export async function seedDemoFleet (db: Database, { today, athletes = DEMO_ATHLETE_COUNT, days = DEMO_DAYS, onProgress }: DemoSeedOptions): Promise<DemoSeedReport> {
  const inRange = lastDays(today, days)
  const fleet = demoFleet({ lastDay: today, athletes })
    .map(athlete => ({ ...athlete, activities: athlete.activities.filter(activity => inRange(activity.startDateLocal)) }))
  const ids = await upsertAthletes(db, fleet.map(({ activities, ...athlete }) => athlete))
  let activities = 0
  let upserted = 0
  for (const [index, athlete] of fleet.entries()) {
    const result = await upsertActivities(db, ids[index]!.id, athlete.activities)
    activities += athlete.activities.length
    upserted += result.upserted
    onProgress?.(index + 1, fleet.length)
  }
  // A bulk load leaves the planner believing these tables are as small as before it, until
  // autovacuum catches up; the first single ingests would then scan them whole.
  await sql`analyze activities, acwr_daily`.execute(db)
  const athleteIds = ids.map(({ id }) => id)
  const { acwrDays } = await db.selectFrom('acwr_daily')
    .select(eb => eb.fn.countAll<number>().as('acwrDays'))
    .where('athlete_id', '=', sql<number>`any(${athleteIds}::bigint[])`)
    .executeTakeFirstOrThrow()
  const demoAthleteId = athleteIds[0]!
  await revokeApiKeys(db, demoAthleteId)
  const { apiKey } = await issueApiKey(db, demoAthleteId)
  return { athletes: fleet.length, activities, upserted, acwrDays, demoAthlete: { id: demoAthleteId, apiKey } }
}

export const demoKeyFile = (dataDir: string) => join(dataDir, 'demo-athlete-key')

/**
 * Writes the demo athlete's id and API key as two shell-style lines, `athleteId=<id>` and
 * `apiKey=<key>`, readable by its owner only: the dashboard's sign-in needs both.
 */
export async function writeDemoKeyFile (dataDir: string, { id, apiKey }: DemoSeedReport['demoAthlete']): Promise<string> {
  const path = demoKeyFile(dataDir)
  await mkdir(dataDir, { recursive: true })
  await writeFile(path, `athleteId=${id}\napiKey=${apiKey}\n`, { mode: 0o600 })
  // The mode above applies only when the file is created; a re-seed rewrites an existing one.
  await chmod(path, 0o600)
  return path
}

/** The seed every entry point runs: the fleet, then its key file. The report holds no secret. */
export async function seedDemo (db: Database, dataDir: string, options: DemoSeedOptions) {
  const { demoAthlete, ...counts } = await seedDemoFleet(db, options)
  const keyFile = await writeDemoKeyFile(dataDir, demoAthlete)
  return { ...counts, demoAthleteId: demoAthlete.id, keyFile }
}
