import { Ajv, type Options } from 'ajv'
import addFormats from 'ajv-formats'
import type { FastifySchemaCompiler } from 'fastify'

const shared: Options = { useDefaults: true, allErrors: false, removeAdditional: false, strict: false }

// A JSON body must carry the right types: "5" where 5 belongs is a 400, and unknown fields are
// rejected rather than silently dropped. Path and query values arrive as text, so only they
// are coerced to the types their schemas declare.
const strict = addFormats.default(new Ajv({ ...shared, coerceTypes: false }))
const coercing = addFormats.default(new Ajv({ ...shared, coerceTypes: 'array' }))

export const validatorCompiler: FastifySchemaCompiler<any> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? strict : coercing).compile(schema)
