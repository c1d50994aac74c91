import { readdir } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, type CompiledQuery, type Transaction } from 'kysely'
import { withClient } from './database.ts'
import type { DB } from './types.ts'

/**
 * A query function called with sample arguments. `db:verify` captures the SQL each sample
 * sends and asks a freshly migrated database to plan it, so that a statement the type system
 * cannot see into (raw SQL, or a raw fragment inside a builder query) still fails the build
 * when the schema no longer fits it. A feature registers its samples in a
 * `statement-samples.ts` file that exports `statementSamples`.
 */
export interface StatementSample {
  /** How a failure names the statement: the function, and the case when there are several. */
  name: string
  /** Calls the query function. Nothing reaches a database: every statement answers no rows. */
  run: (db: Kysely<DB>) => Promise<unknown>
}

/** For samples of functions that take a transaction. */
export const inTransaction = <T>(db: Kysely<DB>, run: (trx: Transaction<DB>) => Promise<T>) => db.transaction().execute(run)

export interface CapturedStatement {
  sample: string
  file: string
  query: CompiledQuery
}

export interface StatementFailure extends CapturedStatement {
  message: string
}

const srcDir = fileURLToPath(new URL('..', import.meta.url))
const SAMPLES_FILE = 'statement-samples.ts'

async function sampleFiles (dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true })
  return entries.filter(entry => entry.isFile() && entry.name === SAMPLES_FILE)
    .map(entry => join(entry.parentPath, entry.name)).sort()
}

/**
 * Runs every registered sample against a Kysely that executes nothing and records what it
 * would send. A sample whose function stops at an empty result has still sent its first
 * statement, which is the one it exists for.
 */
export async function captureStatements (): Promise<CapturedStatement[]> {
  const captured: CapturedStatement[] = []
  let current: { sample: string, file: string } | undefined
  const recorder = new Kysely<DB>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: db => new PostgresIntrospector(db),
      createQueryCompiler: () => new PostgresQueryCompiler()
    },
    log: event => { if (current) captured.push({ ...current, query: event.query }) }
  })
  for (const path of await sampleFiles(srcDir)) {
    const { statementSamples } = await import(pathToFileURL(path).href) as { statementSamples: StatementSample[] }
    for (const sample of statementSamples) {
      current = { sample: sample.name, file: relative(join(srcDir, '..'), path) }
      const before = captured.length
      await sample.run(recorder).catch(() => {})
      if (captured.length === before) throw new Error(`statement sample "${sample.name}" (${current.file}) sent no statement`)
    }
  }
  current = undefined
  await recorder.destroy()
  return captured
}

/** Statements PostgreSQL can plan: EXPLAIN takes these and no others (not SET, not ANALYZE). */
const PLANNABLE = /^\s*(with|select|insert|update|delete|values|merge)\b/i
const EXPLAIN = 'explain (costs off) '

/** The text around a PostgreSQL error position, so the message shows where the statement broke. */
function excerpt (sql: string, position: number | undefined): string {
  if (!position) return ''
  const at = position - 1 - EXPLAIN.length
  return `\n    near: ...${sql.slice(Math.max(0, at - 60), at + 60).replace(/\s+/g, ' ')}...`
}

/**
 * Plans every captured statement on the database at `url` (EXPLAIN, in a transaction rolled
 * back), and returns those PostgreSQL refused, with its message.
 */
export async function explainStatements (url: string, statements: CapturedStatement[]): Promise<StatementFailure[]> {
  return withClient(url, async client => {
    const failures: StatementFailure[] = []
    for (const statement of statements.filter(s => PLANNABLE.test(s.query.sql))) {
      await client.query('begin')
      try {
        await client.query({ text: EXPLAIN + statement.query.sql, values: [...statement.query.parameters] })
      } catch (err) {
        const { message, position } = err as Error & { position?: string }
        failures.push({ ...statement, message: message + excerpt(statement.query.sql, Number(position)) })
      } finally {
        await client.query('rollback')
      }
    }
    return failures
  })
}

/** Captures and plans every sample; the report names each failing sample and its file. */
export async function checkStatements (url: string): Promise<{ planned: number, samples: number, failures: StatementFailure[] }> {
  const statements = await captureStatements()
  const failures = await explainStatements(url, statements)
  return {
    planned: statements.filter(s => PLANNABLE.test(s.query.sql)).length,
    samples: new Set(statements.map(s => `${s.file}:${s.sample}`)).size,
    failures
  }
}

export function describeFailure ({ sample, file, message }: StatementFailure): string {
  return `  - ${sample} (${file}): ${message}`
}
