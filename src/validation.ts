import { Ajv, type Options } from 'ajv'
import addFormats from 'ajv-formats'
import type { FastifySchemaCompiler } from 'fastify'

const shared: Options = { useDefaults: true, allErrors: false, removeAdditional: false, strict: false }

// A JSON body must carry the right types: "5" where 5 belongs is a 400, and unknown fields are
// rejected rather than silently dropped. Path and query values arrive as text, so only they
// are coerced to the types their schemas declare.
const strict = addFormats.default(new Ajv({ ...shared, coerceTypes: false }))
const coercing = addFormats.default(new Ajv({ ...shared, coerceTypes: 'array' }))

// Ajv coerces any text JavaScript reads as a number, so "1e3", "0x10" and " 7" would all name
// an id; an integer in a path or query must be written in plain decimal digits.
const decimalInteger = /^-?\d+$/

function integerFields (schema: { properties?: Record<string, { type?: unknown }> }): string[] {
  return Object.entries(schema.properties ?? {}).filter(([, property]) => property.type === 'integer').map(([name]) => name)
}

function compileCoercing (schema: any, httpPart: string | undefined) {
  const validate = coercing.compile(schema)
  const integers = integerFields(schema)
  if (integers.length === 0) return validate
  const check = (data: Record<string, unknown> | null) => {
    const loose = integers.find(name => typeof data?.[name] === 'string' && !decimalInteger.test(data[name] as string))
    if (loose !== undefined) return { error: new Error(`${httpPart}/${loose} must be an integer in decimal digits`) }
    const valid = validate(data)
    check.errors = validate.errors
    return valid
  }
  check.errors = validate.errors
  return check
}

/** Checks a value the service decodes itself, such as a list cursor, as strictly as a JSON body. */
export const compileStrictValidator = <T>(schema: object) => strict.compile<T>(schema)

export const validatorCompiler: FastifySchemaCompiler<any> = ({ schema, httpPart }) =>
  httpPart === 'body' ? strict.compile(schema) : compileCoercing(schema, httpPart)
