import { promises as fs } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { FileMigrationProvider, Migrator, type Kysely } from 'kysely'

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

export async function migrationStatus (db: Kysely<any>): Promise<{ applied: string[], pending: string[] }> {
  const migrations = await migrator(db).getMigrations()
  return {
    applied: migrations.filter(m => m.executedAt).map(m => m.name),
    pending: migrations.filter(m => !m.executedAt).map(m => m.name)
  }
}
