import type { Command } from 'commander'
import { sql } from 'kysely'
import type { Config } from '../config.ts'
import type { Database } from '../db/database.ts'
import { migrationStatus } from '../db/migrations.ts'
import { findMissingSchema } from '../db/schema-check.ts'
import { withDatabase } from './context.ts'
import { printResult } from './output.ts'

async function measureConnectivity (db: Database) {
  const started = performance.now()
  try {
    const { rows: [row] } = await sql<{ version: string }>`select current_setting('server_version') as version`.execute(db)
    return { status: 'up' as const, latencyMs: Math.round((performance.now() - started) * 100) / 100, serverVersion: row!.version }
  } catch (err) {
    return { status: 'down' as const, error: (err as Error).message }
  }
}

/** The pool this configuration opens, beside the server's own connection budget it draws on. */
async function describePool (db: Database, config: Config) {
  const { rows: [server] } = await sql<{ maxConnections: number, connections: number }>`
    select current_setting('max_connections')::int as "maxConnections",
           (select count(*) from pg_stat_activity where datname = current_database())::int as connections
  `.execute(db)
  return {
    max: config.DB_POOL_MAX,
    min: config.DB_POOL_MIN,
    connectionTimeoutMs: config.DB_CONNECTION_TIMEOUT_MS,
    serverMaxConnections: server!.maxConnections,
    serverConnections: server!.connections
  }
}

/** Whether this trainload can run against the database: reachable, schema complete, migrations applied. */
export async function checkDatabase (db: Database, config: Config) {
  const database = await measureConnectivity(db)
  if (database.status === 'down') return { ok: false, database }
  const missing = await findMissingSchema(db)
  const { applied, pending } = await migrationStatus(db)
  return {
    ok: missing.length === 0 && pending.length === 0,
    database,
    schema: { verified: missing.length === 0, missing },
    migrations: { applied: applied.length, pending },
    pool: await describePool(db, config)
  }
}

type CheckReport = Awaited<ReturnType<typeof checkDatabase>>

function explainFailure (report: CheckReport): string {
  if (report.database.status === 'down') return `The database is unreachable: ${report.database.error}`
  const problems = [
    ...(report.schema?.missing.length ? [`missing from the schema: ${report.schema.missing.join(', ')}`] : []),
    ...(report.migrations?.pending.length ? [`pending migrations: ${report.migrations.pending.join(', ')}`] : [])
  ]
  return `The database is not ready (${problems.join('; ')}). Run \`npx trainload migrate\`.`
}

export function registerCheck (program: Command): void {
  program.command('check')
    .description('check connectivity, the schema, pending migrations and the pool; exit 1 when not ready')
    .option('--json', 'print machine-readable output')
    .action(async (options: { json?: boolean }) => {
      const report = await withDatabase(({ db, config }) => checkDatabase(db, config))
      printResult(report, options)
      if (!report.ok) {
        process.stderr.write(explainFailure(report) + '\n')
        process.exitCode = 1
      }
    })
}
