import { promises as fs } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { FileMigrationProvider, Kysely, Migrator, PostgresDialect } from 'kysely'
import pg from 'pg'
import { migrateJobSchema } from './job-schema.ts'

export const migrationFolder = fileURLToPath(new URL('../../db/migrations', import.meta.url))

function migrator (db: Kysely<any>): Migrator {
  return new Migrator({ db, provider: new FileMigrationProvider({ fs, path, migrationFolder }) })
}

/** Applies every pending migration; Kysely serialises concurrent runs with a transaction lock. */
export async function migrateToLatest (db: Kysely<any>): Promise<string[]> {
  const { error, results = [] } = await migrator(db).migrateToLatest()
  if (error) throw error
  return results.filter(r => r.status === 'Success').map(r => r.migrationName)
}

/**
 * Migrates the database at `url` over a connection of its own, closed afterwards: the app's
 * migrations, then graphile-worker's own schema for the sync jobs.
 */
export async function migrateDatabaseAt (url: string): Promise<string[]> {
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }) })
  try {
    const applied = await migrateToLatest(db)
    await migrateJobSchema(url)
    return applied
  } finally {
    await db.destroy()
  }
}

export async function migrationStatus (db: Kysely<any>): Promise<{ applied: string[], pending: string[] }> {
  const migrations = await migrator(db).getMigrations()
  return {
    applied: migrations.filter(m => m.executedAt).map(m => m.name),
    pending: migrations.filter(m => !m.executedAt).map(m => m.name)
  }
}
