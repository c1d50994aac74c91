import pg from 'pg'
import { sql } from 'kysely'
import t, { type Test } from 'tap'
import type { RouteOptions } from 'fastify'
import type { App } from '../../src/app.ts'
import { build, createTestDatabase } from '../helper.ts'
import { adminHeaders, bearer, daysAgo, run } from '../fixtures.ts'
import type { FakeStrava } from '../fake-strava.ts'
import { seedAthletes, startFake, stravaEnv } from '../tokens/fixtures.ts'
import { findPgBouncer, startPgBouncer } from './pgbouncer.ts'

/** Server connections PgBouncer may open: fewer than the two instances' pools (10 each). */
const POOL_SIZE = 4
const STATEMENT_TIMEOUT = '2s'
const PUBLIC_URL = 'https://trainload.example.org'
const WEBHOOK_TOKEN = 'pgbouncer-webhook-token'

/** Routes that reach the database or Strava; the static dashboard and /docs need neither. */
const apiRoute = (route: string) => /^[A-Z]+ \/(api|admin|auth|health|metrics|webhooks)/.test(route)

interface Instances { a: App, b: App, fake: FakeStrava, databaseUrl: string, routes: Set<string>, served: Set<string> }

async function startInstances (t: Test, binary: string): Promise<Instances> {
  const fake = await startFake(t, { latencyMs: 5 })
  const databaseUrl = await createTestDatabase(t)
  const database = new URL(databaseUrl).pathname.slice(1)
  const admin = new pg.Client({ connectionString: databaseUrl })
  await admin.connect()
  await admin.query(`alter database ${pg.escapeIdentifier(database)} set statement_timeout = '${STATEMENT_TIMEOUT}'`)
  await admin.end()
  const bouncer = await startPgBouncer(binary, { serverUrl: databaseUrl, database: 'trainload', poolSize: POOL_SIZE })
  t.teardown(() => bouncer.stop())

  const routes = new Set<string>()
  const served = new Set<string>()
  const onRoute = (route: RouteOptions) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD') routes.add(`${method} ${route.url}`)
  }
  const instance = () => build(t, {
    databaseUrl: bouncer.url,
    // PgBouncer drops the startup parameter this sets; it stays equal to the server's value.
    // The job schema is migrated over a direct connection, as graphile-worker needs one; the
    // sync routes themselves (queuing jobs included) go through PgBouncer.
    env: { ...stravaEnv(fake), PUBLIC_URL, DB_STATEMENT_TIMEOUT_MS: '2000', JOBS_DATABASE_URL: databaseUrl, STRAVA_WEBHOOK_VERIFY_TOKEN: WEBHOOK_TOKEN },
    onRoute,
    beforeReady: app => {
      app.addHook('onResponse', async (request, reply) => {
        if (reply.statusCode < 400) served.add(`${request.method} ${request.routeOptions.url}`)
      })
    }
  })
  const [a, b] = await Promise.all([instance(), instance()])
  return { a: a!, b: b!, fake, databaseUrl, routes, served }
}

async function smokeAthletes ({ a, b }: Instances) {
  const created = await a.inject({ method: 'PUT', url: '/admin/athletes', headers: adminHeaders, payload: { athletes: [{ stravaAthleteId: 880_001, name: 'Smoke' }] } })
  const athleteId = created.json().athletes[0].id as number
  const listed = await b.inject({ url: '/admin/athletes', headers: adminHeaders })
  const key = await b.inject({ method: 'POST', url: `/admin/athletes/${athleteId}/api-keys`, headers: adminHeaders })
  const apiKey = key.json().apiKey as string
  const read = await a.inject({ url: `/api/athletes/${athleteId}`, headers: bearer(apiKey) })
  const settings = await a.inject({ method: 'PATCH', url: `/api/athletes/${athleteId}/settings`, headers: bearer(apiKey), payload: { acwrModel: 'ewma' } })
  const me = await b.inject({ url: '/api/me', headers: bearer(apiKey) })
  await a.inject({ method: 'POST', url: `/admin/athletes/${athleteId}/api-keys`, headers: adminHeaders })
  const keys = await b.inject({ url: `/api/athletes/${athleteId}/api-keys`, headers: bearer(apiKey) })
  const revoked = await a.inject({ method: 'DELETE', url: `/api/athletes/${athleteId}/api-keys/${keys.json().keys[0].id}`, headers: bearer(apiKey) })
  return { athleteId, apiKey, statuses: [created, listed, key, read, settings, me, keys, revoked].map(r => r.statusCode) }
}

async function smokeActivities ({ a, b }: Instances, athleteId: number, apiKey: string) {
  const put = await b.inject({ method: 'PUT', url: `/api/athletes/${athleteId}/activities`, headers: bearer(apiKey), payload: { activities: [run(1, daysAgo(3), 8), run(2, daysAgo(1), 12)] } })
  const list = await a.inject({ url: `/api/athletes/${athleteId}/activities`, headers: bearer(apiKey) })
  const removed = await b.inject({ method: 'DELETE', url: `/api/athletes/${athleteId}/activities/2`, headers: bearer(apiKey) })
  const series = await a.inject({ url: `/api/athletes/${athleteId}/acwr`, headers: bearer(apiKey) })
  const latest = await b.inject({ url: `/api/athletes/${athleteId}/acwr/latest`, headers: bearer(apiKey) })
  const rollForward = await a.inject({ method: 'POST', url: '/admin/batch-recalculate-acwr', headers: adminHeaders })
  const recompute = await b.inject({ method: 'POST', url: '/admin/batch-recalculate-acwr', headers: adminHeaders, payload: { athleteIds: [athleteId] } })
  const pmc = await a.inject({ url: `/api/athletes/${athleteId}/pmc`, headers: bearer(apiKey) })
  const exported = `Activity ID,Activity Date,Activity Type,Moving Time,Distance\n3,"${exportDate(daysAgo(2))}",Run,1800.0,5000.0\n`
  const imported = await b.inject({ method: 'POST', url: `/api/athletes/${athleteId}/imports`, headers: { ...bearer(apiKey), 'content-type': 'text/csv' }, payload: exported })
  return [put, list, removed, series, latest, rollForward, recompute, pmc, imported].map(r => r.statusCode)
}

/** A day as the en-GB export writes its UTC start, 08:00 that day. */
function exportDate (day: string) {
  const date = new Date(`${day}T08:00:00Z`)
  return `${date.getUTCDate()} ${date.toLocaleString('en-GB', { month: 'short', timeZone: 'UTC' })} ${date.getUTCFullYear()}, 08:00:00`
}

async function smokeTokens ({ a, b, fake }: Instances, athleteId: number) {
  const login = await a.inject({ url: '/auth/strava' })
  const authorize = await fetch(login.headers.location as string, { redirect: 'manual' })
  const callback = new URL(authorize.headers.get('location')!)
  const loggedIn = await b.inject({ url: callback.pathname + callback.search, headers: { cookie: String(login.headers['set-cookie']).split(';')[0]! } })
  const issued = fake.addAthlete(880_001)
  const saved = await a.inject({
    method: 'PUT',
    url: '/admin/strava-tokens',
    headers: adminHeaders,
    payload: { tokens: [{ athleteId, accessToken: issued.access_token, refreshToken: issued.refresh_token, expiresAt: issued.expires_at }] }
  })
  const refreshed = await b.inject({ method: 'POST', url: '/admin/batch-refresh-tokens', headers: adminHeaders, payload: { athleteIds: [athleteId], withinMinutes: 400 } })
  const report = await a.inject({ url: '/admin/token-health-report', headers: adminHeaders })
  const cleanup = await b.inject({ method: 'POST', url: '/admin/strava-tokens/cleanup', headers: adminHeaders })
  return {
    statuses: [login, { statusCode: authorize.status }, loggedIn, saved, refreshed, report, cleanup].map(r => r.statusCode),
    refreshed: refreshed.json().refreshed as number,
    loginAthlete: loggedIn.json().athleteId as number
  }
}

/** The Strava sync routes on both instances; the athlete holds the tokens smokeTokens saved. */
async function smokeSync ({ a, b }: Instances, athleteId: number, apiKey: string) {
  const queued = await a.inject({ method: 'POST', url: `/api/athletes/${athleteId}/strava/sync`, headers: bearer(apiKey) })
  const status = await b.inject({ url: `/api/athletes/${athleteId}/strava/sync`, headers: bearer(apiKey) })
  const fleet = await a.inject({ method: 'POST', url: '/admin/strava/sync', headers: adminHeaders, payload: { athleteIds: [athleteId] } })
  const fleetStatus = await b.inject({ url: '/admin/strava/sync-status', headers: adminHeaders })
  const check = await a.inject({ url: `/webhooks/strava?hub.mode=subscribe&hub.challenge=c&hub.verify_token=${WEBHOOK_TOKEN}` })
  const event = await b.inject({
    method: 'POST',
    url: '/webhooks/strava',
    payload: { object_type: 'activity', object_id: 77, aspect_type: 'create', owner_id: 880_001, subscription_id: 1, event_time: 1_770_000_000, updates: {} }
  })
  const disconnected = await a.inject({ method: 'DELETE', url: `/api/athletes/${athleteId}/strava`, headers: bearer(apiKey) })
  return [queued, status, fleet, fleetStatus, check, event, disconnected].map(r => r.statusCode)
}

async function smokeOperations ({ a, b }: Instances) {
  const replies = await Promise.all([
    a.inject({ url: '/health' }),
    b.inject({ url: '/admin/database-optimization-status', headers: adminHeaders }),
    a.inject({ url: '/metrics', headers: adminHeaders })
  ])
  return replies.map(r => r.statusCode)
}

const binary = findPgBouncer()

t.test('two instances through PgBouncer in transaction pooling mode', { skip: binary ? false : 'pgbouncer is not installed (Debian package pgbouncer; .ci/run installs it)' }, async t => {
  const instances = await startInstances(t, binary!)
  const { a, b, fake, databaseUrl } = instances

  t.test('the server-side statement_timeout applies to every pooled connection', async t => {
    const settings = await Promise.all([a, b].map(app => sql<{ statement_timeout: string }>`show statement_timeout`.execute(app.db)))
    t.same(settings.map(s => s.rows[0]!.statement_timeout), [STATEMENT_TIMEOUT, STATEMENT_TIMEOUT], 'both instances run under the database\'s timeout, not a startup parameter')
    const slow = await sql`select pg_sleep(3)`.execute(a.db).then(() => undefined, (err: { code?: string }) => err.code)
    t.equal(slow, '57014', 'a statement running past it is cancelled by the server')
  })

  t.test('the whole API works across both instances, with no session state between requests', async t => {
    const { athleteId, apiKey, statuses } = await smokeAthletes(instances)
    t.same(statuses, [200, 200, 201, 200, 200, 200, 200, 204], 'athletes, API keys, settings, who-am-I, key list and revocation')
    t.same(await smokeActivities(instances, athleteId, apiKey), [200, 200, 204, 200, 200, 200, 200, 200, 200], 'activities, ACWR, PMC and an export import')
    const tokens = await smokeTokens(instances, athleteId)
    t.same(tokens.statuses, [302, 302, 200, 200, 200, 200, 200], 'a login started on one instance ends on the other; tokens saved, refreshed, reported, cleaned')
    t.equal(tokens.refreshed, 1)
    t.not(tokens.loginAthlete, athleteId)
    t.same(await smokeSync(instances, athleteId, apiKey), [202, 200, 202, 200, 200, 200, 204], 'Strava sync queued and reported, a webhook checked and queued, and a disconnect')
    t.same(await smokeOperations(instances), [200, 200, 200], 'health, status and metrics')
    const missed = [...instances.routes].filter(apiRoute).filter(route => !instances.served.has(route))
    t.same(missed, [], 'every API route answered a success through PgBouncer')
  })

  t.test('two instances refreshing at the same moment refresh each due token exactly once', async t => {
    const athletes = await seedAthletes(a.db, a.tokenCipher, fake, 60)
    const replies = await Promise.all([a, b].map(app =>
      app.inject({ method: 'POST', url: '/admin/batch-refresh-tokens', headers: adminHeaders, payload: { athleteIds: athletes.map(x => x.athleteId), concurrency: 4 } })))
    const counts = replies.map(r => r.json())
    t.same(replies.map(r => r.statusCode), [200, 200])
    t.equal(counts[0].refreshed + counts[1].refreshed, 60, `instance A refreshed ${counts[0].refreshed}, instance B ${counts[1].refreshed}`)
    t.same([...new Set(athletes.map(x => fake.refreshCallsFor(x.stravaId)))], [1], 'Strava saw exactly one refresh call per athlete')
  })

  t.test('concurrent ingests for one athlete from both instances end in the acwr_daily of a serial run', async t => {
    const [concurrent, serial] = await a.db.insertInto('athletes').values([{ name: 'concurrent' }, { name: 'serial' }]).returning('id').execute()
    const ingest = (app: App, athleteId: number, activities: unknown[]) =>
      app.inject({ method: 'PUT', url: `/api/athletes/${athleteId}/activities`, headers: adminHeaders, payload: { activities } })
    const readAcwr = async (app: App, athleteId: number) => (await app.inject({ url: `/api/athletes/${athleteId}/acwr`, headers: adminHeaders })).json().days
    const batches = Array.from({ length: 10 }, (_, batch) =>
      Array.from({ length: 4 }, (_, k) => run(batch * 4 + k + 1, daysAgo((batch * 7 + k * 13) % 50), 4 + ((batch + k) % 9), { averageHeartrate: 140 + k * 5 })))
    const replies = await Promise.all(batches.map((activities, i) => ingest(i % 2 === 0 ? a : b, concurrent!.id, activities)))
    t.same([...new Set(replies.map(r => r.statusCode))], [200])
    const clients = a.pool.totalCount + b.pool.totalCount
    for (const activities of batches) await ingest(a, serial!.id, activities)
    const [together, oneByOne] = [await readAcwr(b, concurrent!.id), await readAcwr(a, serial!.id)]
    t.ok(together.length > 40, `${together.length} days compared`)
    t.same(together, oneByOne, 'the series equals the serial run, day for day')

    const server = new pg.Client({ connectionString: databaseUrl })
    await server.connect()
    const { rows: [backends] } = await server.query('select count(*)::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()')
    await server.end()
    t.ok(clients > POOL_SIZE && backends.n <= POOL_SIZE, `${clients} client connections shared ${backends.n} server connections`)
  })
})
