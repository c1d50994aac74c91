import { Type } from 'typebox'

/** Ids are bigint in PostgreSQL; the API bounds them to what JSON numbers carry exactly. */
export const Id = (description: string) =>
  Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description })

export const AthleteParams = Type.Object({
  athleteId: Id('trainload athlete id')
}, { additionalProperties: false })

/** A calendar day, `YYYY-MM-DD`; the `date` format rejects days that do not exist. */
export const Day = Type.String({ format: 'date', pattern: '^\\d{4}-\\d{2}-\\d{2}$', examples: ['2026-03-01'] })

export const ErrorResponse = Type.Object({
  statusCode: Type.Integer(),
  error: Type.String(),
  message: Type.String()
}, { description: 'Error, in @fastify/sensible\'s shape' })
