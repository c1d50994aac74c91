import type { Kysely } from 'kysely'
import type { DB } from '../../src/db/types.ts'
import { demoToday, seedDemo } from '../../src/demo/seed.ts'

/** `npm run db:seed`: the demo fleet, through the same service as `npx trainload seed demo`. */
export async function seed (db: Kysely<DB>): Promise<void> {
  const report = await seedDemo(db, process.env.DATA_DIR ?? '.data', { today: demoToday() })
  console.log(`demo fleet: ${report.athletes} athletes, ${report.activities} activities, ${report.acwrDays} ACWR days; ` +
    `athlete ${report.demoAthleteId}'s API key is in ${report.keyFile}`)
}
