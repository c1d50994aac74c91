import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { migrateDatabaseAt } from '../src/db/migrations.ts'
import { removeDataDir, startEmbeddedPostgres } from '../src/db/embedded.ts'
import { generateTypes } from './generate-types.ts'

// Regenerates (or with --verify, checks) src/db/types.ts from a freshly migrated database:
// DATABASE_URL when set, otherwise a throwaway embedded server.
const verify = process.argv.includes('--verify')

async function withMigratedDatabase (run: (url: string) => Promise<number>): Promise<number> {
  if (process.env.DATABASE_URL) return run(await migrated(process.env.DATABASE_URL))
  const dir = await mkdtemp(join(tmpdir(), 'trainload-codegen-'))
  const server = await startEmbeddedPostgres({ dataDir: join(dir, 'postgres'), database: 'codegen' })
  try {
    return await run(await migrated(server.url))
  } finally {
    await server.stop()
    await removeDataDir(dir)
  }
}

async function migrated (url: string): Promise<string> {
  await migrateDatabaseAt(url)
  return url
}

const status = await withMigratedDatabase(url => generateTypes(url, { outFile: 'src/db/types.ts', verify }))
process.exit(status)
