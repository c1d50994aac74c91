// The app with its in-process sync worker, in a process of its own, so that a test can SIGKILL
// it in the middle of a backfill. It runs until it is killed, or until its parent closes its
// stdin (the parent ended), so it never outlives the test.
import { buildApp } from '../../src/app.ts'
import { testConfig } from '../helper.ts'

const env = process.env as Record<string, string>
const app = await buildApp({
  config: testConfig({
    STRAVA_BASE_URL: env.STRAVA_BASE_URL!,
    STRAVA_CLIENT_ID: env.STRAVA_CLIENT_ID!,
    STRAVA_CLIENT_SECRET: env.STRAVA_CLIENT_SECRET!,
    TOKEN_ENCRYPTION_KEY: env.TOKEN_ENCRYPTION_KEY!,
    STRAVA_SYNC_WORKER: 'true'
  }),
  databaseUrl: env.DATABASE_URL!
})
await app.ready()
process.stdin.on('end', () => { app.close().finally(() => process.exit(0)) }).resume()
process.stdout.write('ready\n')
