import { sql } from 'kysely'
import type { Database } from '../../src/db/database.ts'

/** Row count and an md5 over every row's text, per table: equal snapshots mean equal contents. */
export type TableSnapshot = Record<string, { rows: number, checksum: string }>

export async function listTables (db: Database): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    select tablename as name from pg_tables where schemaname = 'public' order by tablename
  `.execute(db)
  return rows.map(row => row.name)
}

/** One statement for all tables, so a snapshot costs one round trip whatever their number. */
export async function snapshotTables (db: Database, tables: string[]): Promise<TableSnapshot> {
  const perTable = tables.map(table => sql`
    select ${table} as name, count(*)::int as rows,
      md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as checksum
    from ${sql.table(table)} as t`)
  const { rows } = await sql<{ name: string, rows: number, checksum: string }>`${sql.join(perTable, sql` union all `)}`.execute(db)
  return Object.fromEntries(rows.map(row => [row.name, { rows: row.rows, checksum: row.checksum }]))
}
