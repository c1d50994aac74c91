import t from 'tap'
import { accessFor } from '../../src/plugins/app/auth.ts'
import { build, TEST_ADMIN_TOKEN } from '../helper.ts'
import type { RouteUnderTest } from './hostile-cases.ts'
import { LeakScan } from './leak-scan.ts'
import { entryFor, injectOptions, routeCollector } from './requests.ts'
import { seed, UNREACHABLE_STRAVA, WEBHOOK_VERIFY_TOKEN } from './route-table.ts'

// Rate limiting of repeated failed credentials is pinned in test/plugins/failed-attempts.test.ts;
// here every request comes from its own address, so only the credential decides.

type Caller = 'none' | "A's key" | "B's key" | 'admin'
const CALLERS: Caller[] = ['none', "A's key", "B's key", 'admin']

/**
 * What each caller gets, from the route's path alone: public routes let everyone through,
 * admin routes only the admin token (an athlete key is a valid credential without the right,
 * a 403), athlete routes (here athlete A's) A's key and the admin token, with B's key refused
 * as another athlete's, and `/api/me` any valid credential.
 */
function expectedFor (url: string, caller: Caller): 'allowed' | 401 | 403 {
  const access = accessFor(url)
  if (access === 'public' || caller === 'admin') return 'allowed'
  if (caller === 'none') return 401
  if (access === 'admin') return 403
  return access === 'credential' || caller === "A's key" ? 'allowed' : 403
}

const scan = new LeakScan()
const routes: RouteUnderTest[] = []
const app = await build(t, {
  env: { CORS_ORIGINS: 'http://localhost:5173', ...UNREACHABLE_STRAVA, STRAVA_WEBHOOK_VERIFY_TOKEN: WEBHOOK_VERIFY_TOKEN },
  onLog: scan.onLog,
  onRoute: routeCollector(routes)
})
const seeded = await seed(app, scan)
const credentials: Record<Caller, string | undefined> = { none: undefined, "A's key": seeded.a.apiKey, "B's key": seeded.b.apiKey, admin: TEST_ADMIN_TOKEN }
let tried = 0

t.test('the matrix covers every registered route', async t => {
  t.same(routes.filter(route => !entryFor(route)).map(route => `${route.method} ${route.url}`), [])
  t.ok(routes.some(route => accessFor(route.url) === 'athlete') && routes.some(route => accessFor(route.url) === 'admin'))
})

for (const route of routes) {
  const entry = entryFor(route)
  if (!entry) continue
  t.test(`${route.method} ${route.url}: ${accessFor(route.url)} access for none, A's key, B's key and the admin token`, async t => {
    for (const caller of CALLERS) {
      const res = await app.inject(injectOptions(route, entry.valid(seeded), credentials[caller]))
      scan.record(`${route.method} ${route.url} as ${caller}`, res, { issuesKey: route.url.endsWith('/api-keys') && res.statusCode === 201 })
      const expected = expectedFor(route.url, caller)
      if (expected === 'allowed') {
        t.ok(res.statusCode !== 401 && res.statusCode !== 403 && res.statusCode < 500, `${caller} is let through (got ${res.statusCode})`)
      } else {
        t.equal(res.statusCode, expected, `${caller} gets ${expected}`)
        if (route.method !== 'HEAD') t.equal(res.json().statusCode, expected, 'in the error shape')
      }
      tried++
    }
  })
}

t.test('no secret appears in any response or log line of this file', async t => {
  t.equal(tried, routes.length * CALLERS.length, 'every route was tried with every caller')
  t.comment(`${routes.length} routes x ${CALLERS.length} credentials = ${tried} requests`)
  t.ok(scan.secretCount >= 7)
  t.same(scan.findLeaks(), [])
})
