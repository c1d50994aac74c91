import { sql, type AliasedRawBuilder, type Expression, type RawBuilder } from 'kysely'

/** The PostgreSQL array types batch columns travel as. */
type ArrayType = 'bigint[]' | 'integer[]' | 'smallint[]' | 'float8[]' | 'text[]' | 'timestamp[]' | 'timestamptz[]'

type BatchColumns = Record<string, { type: ArrayType, values: readonly unknown[] }>
type BatchRow<C extends BatchColumns> = { [K in keyof C]: C[K]['values'][number] }

/**
 * A batch of rows as a table: `unnest($1::bigint[], $2::text[], ...) as alias (a, b, ...)`,
 * one array parameter per column. The parameter count stays the same whatever the number of
 * rows, where a multi-row VALUES list takes one per value and passes PostgreSQL's limit of
 * 65,535 parameters at a few thousand rows of a wide table. The result goes where Kysely
 * takes a table: `selectFrom(...)`, `updateTable(...).from(...)`, a join.
 */
export function unnestRows<A extends string, C extends BatchColumns> (alias: A, columns: C): AliasedRawBuilder<BatchRow<C>, A> {
  const names = Object.keys(columns)
  const arrays = names.map(name => sql`${columns[name]!.values}::${sql.raw(columns[name]!.type)}`)
  return sql<BatchRow<C>>`unnest(${sql.join(arrays)})`.as<A>(sql`${sql.id(alias)} (${sql.join(names.map(name => sql.id(name)))})`)
}

/** `id = any($1::bigint[])`'s right-hand side: one parameter for any number of ids. */
export const anyOf = (ids: readonly number[]): RawBuilder<number> => sql<number>`any(${ids}::bigint[])`

/**
 * `(a, b, ...) is distinct from (x, y, ...)`: whether two rows differ, nulls compared as
 * values. Kysely's refTuple stops at five columns; this takes any number.
 */
export function rowsDiffer (left: readonly Expression<unknown>[], right: readonly Expression<unknown>[]): RawBuilder<boolean> {
  return sql<boolean>`(${sql.join(left)}) is distinct from (${sql.join(right)})`
}
