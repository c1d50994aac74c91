import { spawn } from 'node:child_process'
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import t from 'tap'
import { generateTypes } from '../../db/generate-types.ts'
import { withClient } from '../../src/db/database.ts'
import { migrateDatabaseAt } from '../../src/db/migrations.ts'
import { checkStatements } from '../../src/db/statement-check.ts'
import { createEmptyDatabase } from '../helper.ts'

// A column renamed by a migration must break the build wherever a query still names it: tsc
// for queries written with the builder (once the types are regenerated), db:verify's
// statement check for what tsc cannot see. Each rename below is checked on its own.

const root = fileURLToPath(new URL('../..', import.meta.url))

interface Rename {
  table: string
  column: string
  /** Files whose queries tsc must reject once the types are regenerated. */
  tscFiles: string[]
  /** Statement samples the migrated schema must refuse (src/<feature>/statement-samples.ts). */
  samples: RegExp[]
}

const renames: Rename[] = [
  {
    table: 'activities',
    column: 'updated_at',
    tscFiles: ['src/activities/queries.ts'],
    samples: [/^upsertActivityRows$/, /^updateTrimp$/]
  },
  {
    table: 'athletes',
    column: 'timezone',
    tscFiles: ['src/acwr/queries.ts', 'src/acwr/summary.ts', 'src/athletes/queries.ts'],
    samples: [/^recomputeAcwrFrom \(the ACWR update statement, rolling\)$/, /^rollAcwrForward$/, /^readAcwrDays$/, /^summarizeAcwr$/, /^upsertAthleteRows$/]
  },
  {
    table: 'acwr_daily',
    column: 'external_ratio',
    tscFiles: ['src/acwr/queries.ts'],
    samples: [/^recomputeAcwrFrom \(the ACWR update statement, (rolling|rolling-uncoupled|ewma|decay)\)$/]
  }
]

const copyName = (rename: Rename) => `src-${rename.table}-${rename.column}`

const renameColumn = (url: string, table: string, from: string, to: string) =>
  withClient(url, client => client.query(`alter table ${pg.escapeIdentifier(table)} rename column ${pg.escapeIdentifier(from)} to ${pg.escapeIdentifier(to)}`))

/** tsc over one copy of src/ per rename, each with its regenerated types, in one run. */
async function typecheckCopies (dir: string): Promise<string> {
  await symlink(join(root, 'node_modules'), join(dir, 'node_modules'))
  await writeFile(join(dir, 'package.json'), JSON.stringify({ type: 'module' }))
  const { compilerOptions } = JSON.parse(await readFile(join(root, 'tsconfig.json'), 'utf8'))
  await writeFile(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: renames.map(copyName) }))
  const child = spawn(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', dir], { cwd: dir })
  let output = ''
  child.stdout.on('data', chunk => { output += chunk })
  await new Promise(resolve => child.on('close', resolve))
  return output
}

t.test('renaming a column that queries name fails tsc or the statement check, naming each query', async t => {
  const url = await createEmptyDatabase(t)
  await migrateDatabaseAt(url)
  const dir = await mkdtemp(join(tmpdir(), 'trainload-rename-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))

  const refused = new Map<Rename, Set<string>>()
  for (const rename of renames) {
    const renamed = `${rename.column}_renamed`
    await renameColumn(url, rename.table, rename.column, renamed)
    try {
      const { failures } = await checkStatements(url)
      refused.set(rename, new Set(failures.map(failure => failure.sample)))
      await cp(join(root, 'src'), join(dir, copyName(rename)), { recursive: true })
      t.equal(await generateTypes(url, { outFile: join(dir, copyName(rename), 'db/types.ts') }), 0, `types regenerate with ${rename.table}.${renamed}`)
    } finally {
      await renameColumn(url, rename.table, renamed, rename.column)
    }
  }

  const errors = await typecheckCopies(dir)
  for (const rename of renames) {
    const name = `${rename.table}.${rename.column}`
    const rejectedFiles = new Set([...errors.matchAll(new RegExp(`^${copyName(rename)}/(\\S+?)\\(\\d+,\\d+\\): error`, 'gm'))].map(match => `src/${match[1]}`))
    for (const file of rename.tscFiles) t.ok(rejectedFiles.has(file), `renaming ${name}: tsc rejects the queries in ${file}`)
    const samples = [...refused.get(rename)!]
    for (const sample of rename.samples) t.ok(samples.some(refusal => sample.test(refusal)), `renaming ${name}: the statement check refuses ${sample.source}`)
  }
})
