// A refresh run in its own process, so that a test can SIGKILL it halfway. Prints one line per
// token whose outcome has been stored.
import { createDatabase } from '../../src/db/database.ts'
import { createTokenCipher } from '../../src/tokens/crypto.ts'
import { refreshDueTokens } from '../../src/tokens/refresh.ts'
import { createStravaClient } from '../../src/tokens/strava-client.ts'

const env = process.env as Record<string, string>
const { db } = createDatabase(env.DATABASE_URL!, {
  DB_POOL_MAX: 10, DB_POOL_MIN: 0, DB_CONNECTION_TIMEOUT_MS: 5000, DB_IDLE_TIMEOUT_MS: 10000, DB_STATEMENT_TIMEOUT_MS: 30000
}, () => {})
const strava = createStravaClient({ baseUrl: env.STRAVA_BASE_URL!, clientId: env.STRAVA_CLIENT_ID!, clientSecret: env.STRAVA_CLIENT_SECRET! })
const counts = await refreshDueTokens({ db, cipher: createTokenCipher(env.TOKEN_ENCRYPTION_KEY!), strava }, {
  concurrency: Number(env.CONCURRENCY),
  onProgress: done => process.stdout.write(`${done}\n`)
})
process.stdout.write(JSON.stringify(counts) + '\n')
await db.destroy()
