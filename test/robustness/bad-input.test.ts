import type { LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { accessFor } from '../../src/plugins/app/auth.ts'
import { build, TEST_ADMIN_TOKEN } from '../helper.ts'
import { hostileCases, type Expectation, type HostileCase, type RouteUnderTest } from './hostile-cases.ts'
import { LeakScan } from './leak-scan.ts'
import { entryFor, injectOptions, routeCollector } from './requests.ts'
import { routeTable, seed, UNREACHABLE_STRAVA, WEBHOOK_VERIFY_TOKEN, type RouteEntry, type Seeded } from './route-table.ts'
import { listTables, snapshotTables, type TableSnapshot } from './table-snapshot.ts'

const BODY_LIMIT = 16 * 1024
const MALFORMED_AUTHORIZATION = [
  'Bearer',
  TEST_ADMIN_TOKEN,
  `Basic ${Buffer.from(`admin:${TEST_ADMIN_TOKEN}`).toString('base64')}`,
  `Bearer ${TEST_ADMIN_TOKEN}, Bearer ${TEST_ADMIN_TOKEN}`,
  `Bearer ${'x'.repeat(600)}`,
  `Bearer ${TEST_ADMIN_TOKEN}\u0000`
]

const scan = new LeakScan()
const routes: RouteUnderTest[] = []
const app = await build(t, {
  env: { BODY_LIMIT_BYTES: String(BODY_LIMIT), CORS_ORIGINS: 'http://localhost:5173', ...UNREACHABLE_STRAVA, STRAVA_WEBHOOK_VERIFY_TOKEN: WEBHOOK_VERIFY_TOKEN },
  onLog: scan.onLog,
  onRoute: routeCollector(routes)
})
const seeded = await seed(app, scan)
const tables = await listTables(app.db)
let baseline = await snapshotTables(app.db, tables)
const tried = { routes: 0, cases: 0, rejected: 0 }

async function send (route: RouteUnderTest, request: HostileCase['request']): Promise<LightMyRequestResponse> {
  const res = await app.inject(injectOptions(route, request, TEST_ADMIN_TOKEN))
  const issuesKey = route.url.endsWith('/api-keys') && res.statusCode === 201
  scan.record(`${route.method} ${route.url}`, res, { issuesKey })
  return res
}

function messageOf (res: LightMyRequestResponse): string {
  try {
    return String(res.json().message)
  } catch {
    return `(no JSON error body: ${res.body.slice(0, 100)})`
  }
}

function problemsWith (route: RouteUnderTest, res: LightMyRequestResponse, expect: Expectation, after: TableSnapshot | undefined): string[] {
  if (expect === 'tolerated') {
    return res.statusCode >= 500 || res.statusCode === 401 || res.statusCode === 403 ? [`got ${res.statusCode}: ${res.body.slice(0, 200)}`] : []
  }
  const problems: string[] = []
  const wanted = expect.status === undefined ? res.statusCode >= 400 && res.statusCode < 500 : res.statusCode === expect.status
  if (!wanted) problems.push(`got ${res.statusCode} instead of ${expect.status ?? 'a 4xx'}: ${res.body.slice(0, 200)}`)
  const message = route.method === 'HEAD' ? undefined : messageOf(res)
  const named = typeof expect.names === 'string' ? message?.includes(expect.names) : message !== undefined && expect.names.test(message)
  if (message !== undefined && !named) problems.push(`the message ${JSON.stringify(message.slice(0, 300))} does not name ${expect.names}`)
  for (const [table, { rows, checksum }] of Object.entries(after ?? {})) {
    if (baseline[table]?.checksum !== checksum) problems.push(`table ${table} changed (${baseline[table]?.rows} -> ${rows} rows)`)
  }
  return problems
}

function casesFor (route: RouteUnderTest, entry: RouteEntry, seeded: Seeded): HostileCase[] {
  const guarded = accessFor(route.url) !== 'public'
  const authorization = MALFORMED_AUTHORIZATION.map((value, index) => ({
    name: `malformed Authorization header ${index + 1}`,
    request: { headers: { authorization: value } },
    expect: guarded ? { status: 401, names: 'credential' } : 'tolerated' as const
  }))
  return [...hostileCases(route, entry, seeded, BODY_LIMIT), ...authorization]
}

/** Strings the valid requests themselves carry as secrets (marked Strava tokens). */
function markSecrets (value: unknown): void {
  if (typeof value === 'string' && value.startsWith('LEAKMARK-')) scan.addSecret('a Strava token sent in a request', value)
  if (value && typeof value === 'object') Object.values(value).forEach(markSecrets)
}

async function tryRoute (t: Test, route: RouteUnderTest, entry: RouteEntry): Promise<void> {
  const base = entry.valid(seeded)
  markSecrets(base.body)
  const valid = await send(route, base)
  t.equal(valid.statusCode, entry.status, `the valid request gets ${entry.status}: ${valid.body.slice(0, 200)}`)
  baseline = await snapshotTables(app.db, tables)
  for (const hostile of casesFor(route, entry, seeded)) {
    const request = { ...base, ...hostile.request, headers: { ...base.headers, ...hostile.request.headers } }
    const res = await send(route, request)
    const after = hostile.expect === 'tolerated' ? undefined : await snapshotTables(app.db, tables)
    t.same(problemsWith(route, res, hostile.expect, after), [], hostile.name)
    if (hostile.expect === 'tolerated') baseline = await snapshotTables(app.db, tables)
    else tried.rejected++
    tried.cases++
  }
  tried.routes++
}

t.test('every registered route has an entry in the case table, and every entry a route', async t => {
  t.same(routes.filter(route => !entryFor(route)).map(route => `${route.method} ${route.url}`), [], 'routes without an entry')
  const registered = new Set(routes.map(route => `${route.method} ${route.url}`))
  t.same(Object.keys(routeTable).filter(key => !registered.has(key)), [], 'entries without a route')
})

for (const route of routes) {
  const entry = entryFor(route)
  if (!entry) continue
  t.test(`${route.method} ${route.url} turns hostile input into a 4xx naming the problem and changes nothing`, t => tryRoute(t, route, entry))
}

t.test('the service still answers after every hostile request', async t => {
  const health = await app.inject({ url: '/health' })
  t.equal(health.statusCode, 200)
  t.ok(tried.routes === routes.length && tried.cases > 0, 'every route was tried')
  t.comment(`${tried.routes} routes, ${tried.cases} hostile requests, ${tried.rejected} of them refused`)
})

t.test('no secret appears in any response or log line of this file', async t => {
  t.ok(scan.secretCount >= 7, 'the admin token, two API keys and marked Strava tokens are watched')
  t.ok(scan.responses > 100 && scan.logLines > 100, 'responses and logs were captured')
  t.same(scan.findLeaks(), [])
})
