import { loadConfig, type Config } from '../config.ts'
import { createDatabase, type Database } from '../db/database.ts'
import { openDatabaseServer } from '../db/database-server.ts'
import { withLocalSecrets } from '../secrets.ts'

export interface CliContext {
  config: Config
  db: Database
  databaseUrl: string
}

/**
 * Runs a command against DATABASE_URL, or the embedded default (shared with a running
 * `npm start`, or started for the command and stopped after it). Messages go to stderr so
 * that stdout holds only the command's result.
 */
export async function withDatabase<T> (run: (context: CliContext) => Promise<T>): Promise<T> {
  const log = (message: string) => process.stderr.write(message + '\n')
  const config = await withLocalSecrets(loadConfig(), log)
  const server = await openDatabaseServer(config, log)
  const { db } = createDatabase(server.url, { ...config, DB_POOL_MIN: 0 }, err => log(`database connection lost: ${err.message}`))
  try {
    return await run({ config, db, databaseUrl: server.url })
  } finally {
    await db.destroy()
    await server.stop()
  }
}
