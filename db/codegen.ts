import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { migrateDatabaseAt } from '../src/db/migrations.ts'
import { removeDataDir, startEmbeddedPostgres } from '../src/db/embedded.ts'
import { checkStatements, describeFailure } from '../src/db/statement-check.ts'
import { generateTypes } from './generate-types.ts'

// Regenerates src/db/types.ts from a freshly migrated database: DATABASE_URL when set,
// otherwise a throwaway embedded server. With --verify it changes nothing and fails when the
// file is not what the schema generates, or when the schema refuses a registered statement
// (src/db/statement-check.ts).
const verify = process.argv.includes('--verify')

async function verifyStatements (url: string): Promise<number> {
  const { planned, samples, failures } = await checkStatements(url)
  if (failures.length === 0) {
    console.log(`✓ The migrated schema plans all ${planned} statements of ${samples} statement samples.`)
    return 0
  }
  console.error(`✗ The migrated schema refuses ${failures.length} of ${planned} statements:\n${failures.map(describeFailure).join('\n')}`)
  return 1
}

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

const status = await withMigratedDatabase(async url => {
  const generated = await generateTypes(url, { outFile: 'src/db/types.ts', verify })
  return verify ? generated || await verifyStatements(url) : generated
})
process.exit(status)
