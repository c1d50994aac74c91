import { Type, type TSchema, type TSchemaOptions } from 'typebox'

export const Nullable = <T extends TSchema>(schema: T, options?: TSchemaOptions) => Type.Union([schema, Type.Null()], options)

/** Ids are bigint in PostgreSQL; the API bounds them to what JSON numbers carry exactly. */
export const Id = (description: string) =>
  Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description })

export const AthleteParams = Type.Object({
  athleteId: Id('trainload athlete id')
}, { additionalProperties: false })

/**
 * A calendar day's date part, from 1900 on. An ACWR series runs from an athlete's first
 * activity to today, so a day centuries back would make one request write hundreds of
 * thousands of rows; and PostgreSQL has no year 0, which the `date` format lets through. A
 * pattern rather than `formatMinimum`, which OpenAPI 3.0 does not know.
 */
export const DAY_PATTERN = '(19|[2-9]\\d)\\d{2}-\\d{2}-\\d{2}'

/** A calendar day, `YYYY-MM-DD` from 1900 on; the `date` format rejects days that do not exist. */
export const Day = Type.String({ format: 'date', pattern: `^${DAY_PATTERN}$`, examples: ['2026-03-01'] })

/** Free text kept in PostgreSQL, whose text type cannot hold the NUL character. */
export const Text = (options: { minLength?: number, maxLength: number, description?: string, examples?: string[] }) =>
  Type.String({ ...options, pattern: '^[^\\u0000]*$' })

export const ErrorResponse = Type.Object({
  statusCode: Type.Integer(),
  error: Type.String(),
  message: Type.String()
}, { description: 'Error, in @fastify/sensible\'s shape' })
