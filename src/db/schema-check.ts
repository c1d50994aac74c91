import { readFileSync } from 'node:fs'
import { sql, type Kysely } from 'kysely'

const typesFile = new URL('./types.ts', import.meta.url)

export class SchemaMismatchError extends Error {
  constructor (readonly missing: string[]) {
    super(
      `The database schema is behind this version of trainload. Missing:\n${missing.map(m => `  - ${m}`).join('\n')}\n` +
      'Run `npm run db:migrate` (or restart without DATABASE_URL to migrate the embedded database).'
    )
  }
}

/**
 * The tables and columns that the generated `src/db/types.ts` names. The file is
 * kysely-codegen output: one interface per table, and a `DB` interface mapping table names
 * to those interfaces.
 */
export function expectedSchema (source = readFileSync(typesFile, 'utf8')): Map<string, string[]> {
  const interfaces = new Map<string, Array<[field: string, type: string]>>()
  for (const [, name, body] of source.matchAll(/export interface (\w+) \{([^}]*)\}/g)) {
    interfaces.set(name!, [...body!.matchAll(/^\s+"?(\w+)"?\??: (.+);$/gm)].map(m => [m[1]!, m[2]!]))
  }
  return new Map((interfaces.get('DB') ?? []).map(([table, type]) =>
    [table, (interfaces.get(type) ?? []).map(([column]) => column)]))
}

/** Lists every table or column the code expects that the live database lacks. */
export async function findMissingSchema (db: Kysely<any>, expected = expectedSchema()): Promise<string[]> {
  const { rows } = await sql<{ table_name: string, column_name: string }>`
    select table_name, column_name from information_schema.columns where table_schema = current_schema()
  `.execute(db)
  const live = new Set(rows.map(r => `${r.table_name}.${r.column_name}`))
  const liveTables = new Set(rows.map(r => r.table_name))
  const missing: string[] = []
  for (const [table, columns] of expected) {
    if (!liveTables.has(table)) missing.push(`table ${table}`)
    else missing.push(...columns.filter(c => !live.has(`${table}.${c}`)).map(c => `column ${table}.${c}`))
  }
  return missing
}

export async function verifySchema (db: Kysely<any>): Promise<void> {
  const missing = await findMissingSchema(db)
  if (missing.length > 0) throw new SchemaMismatchError(missing)
}
