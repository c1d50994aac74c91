import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { PostgresDialect } from 'kysely'
import { defineConfig } from 'kysely-ctl'
import pg from 'pg'
import { embeddedUrlFile } from './src/db/database-server.ts'
import { pgTypes } from './src/db/pg-types.ts'

// kysely-ctl targets DATABASE_URL, or else the embedded server that `npm start` is running
// (it records its address in the data folder when it starts). Values parse as in the service,
// so seeds can call its services.
function databaseUrl (): string {
  if (process.env.DATABASE_URL) return process.env.DATABASE_URL
  const file = embeddedUrlFile(process.env.DATA_DIR ?? '.data')
  try {
    return readFileSync(file, 'utf8').trim()
  } catch {
    throw new Error(`Set DATABASE_URL, or start trainload (npm start) so that ${join(file)} exists.`)
  }
}

export default defineConfig({
  dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: databaseUrl(), max: 2, types: pgTypes }) }),
  migrations: { migrationFolder: 'db/migrations' },
  seeds: { seedFolder: 'db/seeds' }
})
