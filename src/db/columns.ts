import { sql, type RawBuilder } from 'kysely'
import type { DB } from './types.ts'

export type Table = keyof DB
export type ColumnOf<T extends Table> = keyof DB[T] & string

/**
 * Column names for the statements that must stay raw SQL, checked against the generated
 * types: after a column is renamed and the types regenerated, every raw statement that still
 * names the old column is a `tsc` error instead of a 42703 at run time.
 *
 *   const acwr = columnsOf('acwr_daily')
 *   sql`select ${acwr.ref('external_ratio')} from acwr_daily`
 */
export function columnsOf<T extends Table> (table: T) {
  const qualified = (column: ColumnOf<T>, qualifier?: string) => qualifier ? `${qualifier}.${column}` : column
  return {
    table,
    /** The column's name as a plain string, for building other identifiers. */
    name: <C extends ColumnOf<T>>(column: C): C => column,
    /** An identifier reference, optionally qualified by a table or CTE alias. */
    ref: (column: ColumnOf<T>, qualifier?: string): RawBuilder<unknown> => sql.ref(qualified(column, qualifier)),
    /** A comma-separated list of references. */
    list: (columns: readonly ColumnOf<T>[], qualifier?: string): RawBuilder<unknown> =>
      sql.join(columns.map(column => sql.ref(qualified(column, qualifier))))
  }
}
