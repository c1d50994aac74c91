import pg from 'pg'

const { builtins } = pg.types

/**
 * How column values arrive in JavaScript. Ids are bigint in PostgreSQL but the API bounds them
 * to Number.MAX_SAFE_INTEGER, so they parse losslessly to numbers. A `date` stays the
 * `YYYY-MM-DD` string it is, and a `timestamp` (a local wall-clock time) its text: turning either
 * into a Date would shift it by the process's timezone.
 */
export const pgTypes = {
  getTypeParser (oid: number, format?: 'text' | 'binary') {
    if (oid === builtins.INT8 || oid === builtins.NUMERIC) return Number
    if (oid === builtins.DATE || oid === builtins.TIMESTAMP) return (value: string) => value
    return pg.types.getTypeParser(oid, format)
  }
} as pg.CustomTypesConfig
