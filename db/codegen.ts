import { spawnSync } from 'node:child_process'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { migrateDatabaseAt } from '../src/db/migrations.ts'
import { removeDataDir, startEmbeddedPostgres } from '../src/db/embedded.ts'

// Regenerates (or with --verify, checks) src/db/types.ts from a freshly migrated database:
// DATABASE_URL when set, otherwise a throwaway embedded server.
const verify = process.argv.includes('--verify')

async function withMigratedDatabase (run: (url: string) => number): Promise<number> {
  if (process.env.DATABASE_URL) return run(await migrated(process.env.DATABASE_URL))
  const dir = await mkdtemp(join(tmpdir(), 'trainload-codegen-'))
  const server = await startEmbeddedPostgres({ dataDir: join(dir, 'postgres'), database: 'codegen' })
  try {
    return run(await migrated(server.url))
  } finally {
    await server.stop()
    await removeDataDir(dir)
  }
}

async function migrated (url: string): Promise<string> {
  await migrateDatabaseAt(url)
  return url
}

const status = await withMigratedDatabase(url => spawnSync('npx', [
  'kysely-codegen',
  '--dialect', 'postgres',
  '--url', url,
  '--out-file', 'src/db/types.ts',
  '--date-parser', 'string',
  '--numeric-parser', 'number',
  '--exclude-pattern', 'kysely_migration*',
  '--type-mapping', JSON.stringify({ int8: 'number', timestamp: 'string' }),
  ...(verify ? ['--verify'] : [])
], { stdio: 'inherit' }).status ?? 1)
process.exit(status)
