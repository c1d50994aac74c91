import type { FastifyBaseLogger } from 'fastify'
import type { Config } from '../config.ts'
import type { Database } from '../db/database.ts'
import { DEMO_ATHLETE_COUNT } from './fleet.ts'
import { demoToday, seedDemo } from './seed.ts'

/**
 * Whether a starting service seeds the demo fleet. Only ever into a database without
 * athletes. On the embedded default it does unless SEED_DEMO=false, so a first `npm start`
 * shows charts; a configured DATABASE_URL is someone's real database, seeded only on an
 * explicit SEED_DEMO=true.
 */
export function shouldSeedDemo ({ seedDemo, usesDatabaseUrl, hasAthletes }: { seedDemo: boolean | undefined, usesDatabaseUrl: boolean, hasAthletes: boolean }): boolean {
  if (hasAthletes) return false
  return usesDatabaseUrl ? seedDemo === true : seedDemo !== false
}

async function hasAthletes (db: Database): Promise<boolean> {
  return (await db.selectFrom('athletes').select('id').limit(1).executeTakeFirst()) !== undefined
}

/** Seeds the demo fleet when `shouldSeedDemo` says so; logs the key file's path, never the key. */
export async function seedDemoOnFirstStart (db: Database, config: Config, log: FastifyBaseLogger): Promise<void> {
  const wanted = shouldSeedDemo({ seedDemo: config.SEED_DEMO, usesDatabaseUrl: config.DATABASE_URL !== undefined, hasAthletes: await hasAthletes(db) })
  if (!wanted) return
  log.info(`empty database: seeding the demo fleet (${DEMO_ATHLETE_COUNT} athletes, 18 months of activities); SEED_DEMO=false skips this`)
  const report = await seedDemo(db, config.DATA_DIR, { today: demoToday() })
  log.info({ athletes: report.athletes, activities: report.activities, acwrDays: report.acwrDays },
    `demo fleet seeded; sign in to the dashboard with athlete ${report.demoAthleteId} and the API key in ${report.keyFile}`)
}
