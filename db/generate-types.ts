import { spawnSync } from 'node:child_process'
import { withClient } from '../src/db/database.ts'

/**
 * Columns whose CHECK names their values, `check (status in ('active', 'invalid'))`, are typed
 * as that union of string literals instead of `string`, so the schema stays the one place the
 * values are listed and code that compares or stores one gets no cast.
 */
export async function enumeratedColumnTypes (url: string): Promise<Record<string, string>> {
  const { rows } = await withClient(url, client => client.query<{ column: string, definition: string, nullable: boolean, hasDefault: boolean }>(`
    select c.relname || '.' || a.attname as "column", pg_get_constraintdef(k.oid) as definition,
      not a.attnotnull as nullable, a.atthasdef as "hasDefault"
    from pg_constraint k
    join pg_class c on c.oid = k.conrelid
    join pg_attribute a on a.attrelid = c.oid and a.attnum = k.conkey[1]
    where k.contype = 'c' and cardinality(k.conkey) = 1 and c.relnamespace = current_schema()::regnamespace
    order by 1`))
  const types: Record<string, string> = {}
  for (const { column, definition, nullable, hasDefault } of rows) {
    const list = /^CHECK \(\(\w+ = ANY \(ARRAY\[(.+)\]\)\)\)$/.exec(definition)?.[1]
    if (!list) continue
    const values = [...list.matchAll(/'((?:[^']|'')*)'::text/g)].map(match => JSON.stringify(match[1]!.replaceAll("''", "'")))
    const union = [...values, ...(nullable ? ['null'] : [])].join(' | ')
    types[column] = hasDefault ? `Generated<${union}>` : union
  }
  return types
}

/** Runs kysely-codegen against a migrated database, writing (or with `verify`, checking) `outFile`. */
export async function generateTypes (url: string, { outFile, verify = false }: { outFile: string, verify?: boolean }): Promise<number> {
  const overrides = { columns: await enumeratedColumnTypes(url) }
  return spawnSync('npx', [
    'kysely-codegen',
    '--dialect', 'postgres',
    '--url', url,
    '--out-file', outFile,
    '--date-parser', 'string',
    '--numeric-parser', 'number',
    // Kysely's migration bookkeeping and graphile-worker's job schema, which the app does not query.
    '--exclude-pattern', '{kysely_migration*,graphile_worker.*}',
    '--type-mapping', JSON.stringify({ int8: 'number', timestamp: 'string' }),
    '--overrides', JSON.stringify(overrides),
    ...(verify ? ['--verify'] : [])
  ], { stdio: 'inherit' }).status ?? 1
}
