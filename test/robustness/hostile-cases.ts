import { Ajv } from 'ajv'
import addFormats from 'ajv-formats'
import type { BaseRequest, RouteEntry, Seeded } from './route-table.ts'

type Schema = Record<string, any>

/** What a hostile request must get: a 4xx naming the problem with no table changed, or (`tolerated`) anything but a 5xx. */
export type Expectation = { status?: number, names: string | RegExp } | 'tolerated'

export interface HostileCase {
  name: string
  request: BaseRequest & { method?: string, payload?: string | Buffer, contentType?: string, rawUrl?: string }
  expect: Expectation
}

export interface RouteUnderTest {
  method: string
  url: string
  schema: Schema
  /** The route's own body limit; without one, the app's BODY_LIMIT_BYTES applies. */
  bodyLimit?: number
}

const ajv = addFormats.default(new Ajv({ strict: false, useDefaults: true }))
const compiled = new WeakMap<Schema, ReturnType<typeof ajv.compile>>()
/** Whether a value passes a field's own schema, as the route's body validation would judge it. */
function accepts (schema: Schema, value: unknown): boolean {
  if (!compiled.has(schema)) compiled.set(schema, ajv.compile(schema))
  return compiled.get(schema)!(structuredClone(value)) as boolean
}

export const ONE_MB = 'a'.repeat(1 << 20)
const INVALID_UTF8 = Buffer.from([0xc3, 0x28, 0xff])
const INVALID_UTF8_MARK = 'INVALID-UTF8-BYTES'
const IMPOSSIBLE_DAYS = ['2026-02-30', '2026-13-01', '0000-01-01', '1899-12-31']
const SQL_INJECTIONS = ['\' or \'1\'=\'1', '1; drop table athletes; --']
const WRONG_TYPES: unknown[] = ['text', 7, 1.5, true, null, [1], {}]
const BAD_NUMBERS: unknown[] = [-1, 0, 2 ** 63, 1.5]
const NUMBER_STRINGS = ['NaN', 'Infinity', '1e3']
const BAD_ID_TEXTS = ['-1', '0', '1.5', '9223372036854775808', 'NaN', 'Infinity', '-Infinity', '1e3', '0x10', ' 7', "1' or '1'='1", '1;drop table athletes', '\u0000']
export const UNKNOWN_ID = 987_654_321

interface Field { path: string[], schema: Schema, types: Set<string>, format?: string }

const branches = (schema: Schema): Schema[] => schema.anyOf ?? [schema]

/** Every field of a body schema, the root included, with the paths of its nested objects and array items. */
function collectFields (schema: Schema, path: string[] = []): Field[] {
  const types = new Set(branches(schema).map(branch => branch.type as string))
  const format = branches(schema).find(branch => branch.format)?.format
  const nested = branches(schema).flatMap(branch => {
    if (branch.type === 'object') return Object.entries(branch.properties ?? {}).flatMap(([key, child]) => collectFields(child as Schema, [...path, key]))
    if (branch.type === 'array') return collectFields(branch.items, [...path, '0'])
    return []
  })
  return [{ path, schema, types, format }, ...nested]
}

function setAt (value: unknown, path: string[], replacement: unknown): unknown {
  if (path.length === 0) return replacement
  const copy = structuredClone(value) as Record<string, unknown>
  let parent = copy
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string, unknown>
  parent[path.at(-1)!] = replacement
  return copy
}

const getAt = (value: unknown, path: string[]) => path.reduce<any>((node, key) => node?.[key], value)
const fieldName = (part: string, path: string[]) => [part, ...path].join('/')

/** The values a field is tried with; `forced` ones must be refused whatever the schema says. */
function candidatesFor (field: Field): Array<{ label: string, value: unknown, forced?: true }> {
  const found: Array<{ label: string, value: unknown, forced?: true }> = WRONG_TYPES.map(value => ({ label: `the wrong type ${JSON.stringify(value)}`, value }))
  if (field.types.has('integer') || field.types.has('number')) {
    found.push(...BAD_NUMBERS.map(value => ({ label: `the number ${value}`, value })))
    found.push(...NUMBER_STRINGS.map(value => ({ label: `the string "${value}"`, value, forced: true as const })))
  }
  if (field.types.has('string')) {
    const suffix = field.format === 'iso-date-time' ? 'T08:00:00' : ''
    if (field.format) found.push(...IMPOSSIBLE_DAYS.map(day => ({ label: `the impossible day ${day}`, value: day + suffix, forced: true as const })))
    found.push({ label: 'a 1 MB string', value: ONE_MB, forced: true }, { label: 'a NUL byte', value: 'a\u0000b', forced: true })
    found.push(...SQL_INJECTIONS.map(value => ({ label: `the SQL injection ${value}`, value })))
  }
  return found
}

function expectationFor (field: Field, value: unknown, forced: boolean | undefined, part: string): Expectation {
  if (!forced && accepts(field.schema, value)) return 'tolerated'
  return { status: 400, names: fieldName(part, field.path) }
}

function bodyFieldCases (body: unknown, fields: Field[], optionalBody: boolean): HostileCase[] {
  const cases: HostileCase[] = []
  for (const field of fields) {
    const where = fieldName('body', field.path)
    for (const { label, value, forced } of candidatesFor(field)) {
      // A null body is read as no body, which a route with an optional body serves.
      const expect = optionalBody && field.path.length === 0 && value === null ? 'tolerated' : expectationFor(field, value, forced, 'body')
      cases.push({ name: `${where} as ${label.slice(0, 60)}`, request: { body: setAt(body, field.path, value) }, expect })
    }
    if (field.types.has('string')) {
      const decoded = INVALID_UTF8.toString('utf8')
      const text = JSON.stringify(setAt(body, field.path, INVALID_UTF8_MARK))
      const [before, after] = text.split(INVALID_UTF8_MARK)
      const payload = Buffer.concat([Buffer.from(before!), INVALID_UTF8, Buffer.from(after!)])
      cases.push({ name: `${where} as invalid UTF-8`, request: { payload }, expect: expectationFor(field, decoded, false, 'body') })
    }
  }
  return cases
}

function bodyShapeCases (body: unknown, fields: Field[]): HostileCase[] {
  const cases: HostileCase[] = []
  for (const field of fields) {
    const where = fieldName('body', field.path)
    const object = branches(field.schema).find(branch => branch.type === 'object')
    if (object) {
      const closed = object.additionalProperties === false
      cases.push({ name: `${where} with an extra field`, request: { body: setAt(body, field.path, { ...getAt(body, field.path), unexpectedField: 1 }) }, expect: closed ? { status: 400, names: `${where} must NOT have additional properties` } : 'tolerated' })
    }
    const array = branches(field.schema).find(branch => branch.type === 'array')
    if (array) {
      const item = getAt(body, [...field.path, '0'])
      cases.push({ name: `${where} empty`, request: { body: setAt(body, field.path, []) }, expect: (array.minItems ?? 0) > 0 ? { status: 400, names: where } : 'tolerated' })
      if (array.maxItems !== undefined) {
        cases.push({ name: `${where} one over its ${array.maxItems} items`, request: { body: setAt(body, field.path, Array(array.maxItems + 1).fill(item)) }, expect: { status: 400, names: where } })
      }
    }
  }
  return cases
}

function paramCases (route: RouteUnderTest, base: BaseRequest): HostileCase[] {
  const cases: HostileCase[] = []
  for (const name of Object.keys(route.schema.params?.properties ?? {})) {
    for (const text of BAD_ID_TEXTS) {
      cases.push({ name: `params/${name} as ${JSON.stringify(text)}`, request: { params: { ...base.params, [name]: text } }, expect: { status: 400, names: `params/${name}` } })
    }
    cases.push({ name: `params/${name} unknown`, request: { params: { ...base.params, [name]: UNKNOWN_ID } }, expect: { status: 404, names: String(UNKNOWN_ID) } })
    cases.push({ name: `params/${name} of 1,000 digits`, request: { params: { ...base.params, [name]: '1'.repeat(1000) } }, expect: { names: /max param length|not found/ } })
  }
  if (route.url.endsWith('*')) {
    // A CORS preflight answers for any path, with no content.
    const preflight = route.url === '*'
    for (const path of ['../../package.json', '..%2f..%2fpackage.json', '%2e%2e/%2e%2e/package.json', '\u0000', 'a'.repeat(5000)]) {
      cases.push({ name: `the wildcard as ${JSON.stringify(path.slice(0, 40))}`, request: { params: { ...base.params, '*': path } }, expect: preflight ? 'tolerated' : { names: /./ } })
    }
  }
  return cases
}

const coercingAjv = addFormats.default(new Ajv({ strict: false, coerceTypes: true }))
const queryValidators = new WeakMap<Schema, ReturnType<typeof ajv.compile>>()
/** Whether a query value passes its schema, read as the app reads query text. */
function queryAccepts (schema: Schema, text: string): boolean {
  if (schema.type === 'integer' && !/^-?\d+$/.test(text)) return false
  if (!queryValidators.has(schema)) queryValidators.set(schema, coercingAjv.compile({ type: 'object', properties: { value: schema } }))
  return queryValidators.get(schema)!({ value: text }) as boolean
}

function queryCases (route: RouteUnderTest, base: BaseRequest): HostileCase[] {
  const schema = route.schema.querystring
  if (!schema) return [{ name: 'junk query parameters', request: { query: { x: '\u0000', y: SQL_INJECTIONS[0]! } }, expect: 'tolerated' }]
  const cases: HostileCase[] = []
  for (const [name, property] of Object.entries<Schema>(schema.properties ?? {})) {
    const values = property.type === 'integer'
      ? ['-1', '0', '1.5', '9223372036854775808', ...NUMBER_STRINGS]
      : [...(property.format ? IMPOSSIBLE_DAYS : []), ONE_MB, '\u0000', ...SQL_INJECTIONS]
    for (const text of values) {
      const forced = text === ONE_MB || IMPOSSIBLE_DAYS.includes(text) || NUMBER_STRINGS.includes(text)
      const expect: Expectation = !forced && queryAccepts(property, text) ? 'tolerated' : { status: 400, names: `querystring/${name}` }
      cases.push({ name: `querystring/${name} as ${JSON.stringify(text.slice(0, 40))}`, request: { query: { ...base.query, [name]: text } }, expect })
    }
  }
  const closed = schema.additionalProperties === false
  cases.push({ name: 'an extra query parameter', request: { query: { ...base.query, unexpected: '1' } }, expect: closed ? { status: 400, names: 'querystring must NOT have additional properties' } : 'tolerated' })
  return cases
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

function transportCases (route: RouteUnderTest, entry: RouteEntry, bodyLimit: number): HostileCase[] {
  if (!BODY_METHODS.has(route.method)) return []
  const hasBody = route.schema.body !== undefined
  const bodyError = (names: string): Expectation => hasBody ? { status: 400, names } : 'tolerated'
  return [
    { name: 'no body', request: { body: undefined }, expect: hasBody && !entry.optionalBody ? { status: 400, names: 'body' } : 'tolerated' },
    { name: 'an XML body', request: { payload: '<a/>', contentType: 'application/xml' }, expect: { status: 415, names: 'Unsupported Media Type' } },
    { name: 'a form body', request: { payload: 'a=1', contentType: 'application/x-www-form-urlencoded' }, expect: { status: 415, names: 'Unsupported Media Type' } },
    { name: 'a text body', request: { payload: 'hello', contentType: 'text/plain' }, expect: bodyError('body must be') },
    { name: 'truncated JSON', request: { payload: '{"a":', contentType: 'application/json' }, expect: { status: 400, names: 'JSON' } },
    { name: 'JSON with a NaN literal', request: { payload: '{"a":NaN}', contentType: 'application/json' }, expect: { status: 400, names: 'JSON' } },
    { name: 'JSON with __proto__', request: { payload: '{"__proto__":{"admin":true}}', contentType: 'application/json' }, expect: { status: 400, names: 'JSON' } },
    { name: `a body over the ${bodyLimit}-byte limit`, request: { payload: `"${'a'.repeat(bodyLimit)}"`, contentType: 'application/json' }, expect: { status: 413, names: `at most ${bodyLimit} bytes` } }
  ]
}

const payloadBytes = ({ payload, body }: HostileCase['request']) =>
  payload !== undefined ? Buffer.byteLength(payload) : body === undefined ? 0 : Buffer.byteLength(JSON.stringify(body))

/** A case whose body is over the route's limit is refused for its size before its content is looked at. */
function refusedForSize (hostile: HostileCase, bodyLimit: number): HostileCase {
  if (payloadBytes(hostile.request) <= bodyLimit) return hostile
  return { ...hostile, expect: { status: 413, names: `at most ${bodyLimit} bytes` } }
}

/** Every hostile variation of a route's valid request that its schema and method call for. */
export function hostileCases (route: RouteUnderTest, entry: RouteEntry, seeded: Seeded, defaultBodyLimit: number): HostileCase[] {
  const bodyLimit = route.bodyLimit ?? defaultBodyLimit
  const base = entry.valid(seeded)
  const fields = route.schema.body ? collectFields(route.schema.body) : []
  const rules = (entry.rules?.(seeded) ?? []).map(rule => ({
    name: rule.name,
    request: { params: { ...base.params, ...rule.change.params }, query: rule.change.query ? { ...base.query, ...rule.change.query } : base.query, body: rule.change.body ?? base.body },
    expect: { status: rule.status, names: rule.names }
  }))
  return [
    ...bodyFieldCases(base.body, fields, entry.optionalBody === true),
    ...bodyShapeCases(base.body, fields),
    ...paramCases(route, base),
    ...(route.method === 'GET' || route.method === 'HEAD' ? queryCases(route, base) : []),
    ...transportCases(route, entry, bodyLimit),
    ...rules
  ].map(hostile => refusedForSize(hostile, bodyLimit))
}
