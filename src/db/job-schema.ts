import { Logger, runMigrations } from 'graphile-worker'

/**
 * The Strava sync's jobs live in graphile-worker's own schema, beside the app's tables. It is
 * not part of the app's migrations (db/migrations): graphile-worker versions its schema itself
 * and migrates it under its own lock, at every start of a runner and with the app's
 * migrations, so any instance may be first.
 */
export const JOB_SCHEMA = 'graphile_worker'

/** A logger for graphile-worker that sends its lines to `log`, or nowhere. */
export const jobLogger = (log?: (message: string) => void) => new Logger(() => (_level, message) => log?.(message))

export async function migrateJobSchema (connectionString: string): Promise<void> {
  await runMigrations({ connectionString, schema: JOB_SCHEMA, logger: jobLogger() })
}
