import { sql } from 'kysely'
import t from 'tap'
import type { App } from '../../src/app.ts'
import { revokeApiKeys } from '../../src/athletes/api-keys.ts'
import { build } from '../helper.ts'
import { adminHeaders, bearer, createAthlete, daysAgo, ingest, run } from '../fixtures.ts'

/** Every SQL statement the app has run so far, from the per-fingerprint counter in /metrics. */
async function statementsRun (app: App): Promise<number> {
  const res = await app.inject({ url: '/metrics', headers: adminHeaders })
  return res.body.split('\n')
    .filter(line => line.startsWith('trainload_db_statements_total{'))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0)
}

/** The statements one request runs, and its status. */
async function statementsOf (app: App, request: () => Promise<{ statusCode: number }>) {
  const before = await statementsRun(app)
  const { statusCode } = await request()
  return { statusCode, statements: await statementsRun(app) - before }
}

t.test('a read of a current series is one statement once the key has been checked', async t => {
  const app = await build(t)
  const athlete = await createAthlete(app)
  t.equal((await ingest(app, athlete.id, [run(1, daysAgo(40), 5), run(2, daysAgo(0), 7)])).statusCode, 200)
  const get = (url: string) => () => app.inject({ url: `/api/athletes/${athlete.id}${url}`, headers: bearer(athlete.apiKey) })

  t.same(await statementsOf(app, async () => ({ statusCode: 200 })), { statusCode: 200, statements: 0 }, 'reading /metrics itself runs none')
  const first = await statementsOf(app, get('/acwr'))
  t.equal(first.statusCode, 200)
  t.ok(first.statements >= 2, `the first request also looks the key up (${first.statements} statements)`)
  for (const url of ['/acwr', `/acwr?from=${daysAgo(30)}&to=${daysAgo(20)}`, '/acwr/latest', '/pmc']) {
    t.same(await statementsOf(app, get(url)), { statusCode: 200, statements: 1 }, `GET ${url}`)
  }
  t.same(await statementsOf(app, get('/acwr?from=2020-01-01&to=2020-02-01')), { statusCode: 200, statements: 1 },
    'a range without stored days is one statement too: the state comes with it')
  t.same(await statementsOf(app, get(`/acwr?from=${daysAgo(5)}&to=${daysAgo(10)}`)), { statusCode: 400, statements: 1 }, 'so is a reversed range')
  const unknown = await statementsOf(app, () => app.inject({ url: `/api/athletes/${athlete.id + 1000}/acwr`, headers: adminHeaders }))
  t.same(unknown, { statusCode: 404, statements: 1 }, 'and an unknown athlete')
})

t.test('a series that stops short of today is rolled forward before it is read, and read again', async t => {
  const app = await build(t)
  const athlete = await createAthlete(app)
  t.equal((await ingest(app, athlete.id, [run(1, daysAgo(10), 5)])).statusCode, 200)
  await sql`delete from acwr_daily where athlete_id = ${athlete.id} and day > ${daysAgo(3)}::date`.execute(app.db)
  const res = await app.inject({ url: `/api/athletes/${athlete.id}/acwr`, headers: bearer(athlete.apiKey) })
  t.equal(res.statusCode, 200)
  const days = res.json().days.map((day: { date: string }) => day.date)
  t.equal(days.at(-1), daysAgo(0), 'the series reaches today')
  t.equal(days.length, 11, 'with no gap')
})

t.test('an unknown athlete, a bad range and an empty range are still told apart', async t => {
  const app = await build(t)
  const athlete = await createAthlete(app)
  t.equal((await ingest(app, athlete.id, [run(1, daysAgo(10), 5)])).statusCode, 200)
  const get = (url: string, headers = bearer(athlete.apiKey)) => app.inject({ url, headers })
  t.equal((await get('/api/athletes/999999/acwr', adminHeaders)).statusCode, 404)
  const reversed = await get(`/api/athletes/${athlete.id}/acwr?from=${daysAgo(1)}&to=${daysAgo(5)}`)
  t.equal(reversed.statusCode, 400)
  t.match(reversed.json().message, `from: must not be after to (${daysAgo(5)})`)
  const long = await get(`/api/athletes/${athlete.id}/pmc?from=2000-01-01`)
  t.equal(long.statusCode, 400)
  t.match(long.json().message, /^from: the range may span at most 3660 days/)
  const empty = await get(`/api/athletes/${athlete.id}/acwr?from=2020-01-01&to=2020-02-01`)
  t.same([empty.statusCode, empty.json().days], [200, []])
  t.equal((await get(`/api/athletes/${athlete.id}/acwr?to=2999-01-01`)).json().days.at(-1).date, daysAgo(0), 'a future `to` stops at today')
})

/** The status of GET /api/me with the key. */
const whoAmI = (app: App, apiKey: string) => app.inject({ url: '/api/me', headers: bearer(apiKey) }).then(res => res.statusCode)

t.test('a key revoked through this instance is refused at once; one revoked elsewhere within API_KEY_CACHE_MS', async t => {
  const app = await build(t, { env: { API_KEY_CACHE_MS: '10000' } })
  const athlete = await createAthlete(app)
  t.equal(await whoAmI(app, athlete.apiKey), 200)
  // Revoked behind the app's back, as another instance or the CLI would: still trusted here
  // until the cache entry expires, which is the documented delay.
  t.equal(await revokeApiKeys(app.db, athlete.id), 1)
  t.equal(await whoAmI(app, athlete.apiKey), 200, 'trusted for at most API_KEY_CACHE_MS')

  const second = await createAthlete(app)
  t.equal(await whoAmI(app, second.apiKey), 200)
  const [key] = (await app.inject({ url: `/api/athletes/${second.id}/api-keys`, headers: adminHeaders })).json().keys
  t.equal((await app.inject({ method: 'DELETE', url: `/api/athletes/${second.id}/api-keys/${key.id}`, headers: adminHeaders })).statusCode, 204)
  t.equal(await whoAmI(app, second.apiKey), 401, 'the revoking instance forgets the key at once')

  const uncached = await build(t, { env: { API_KEY_CACHE_MS: '0' } })
  const third = await createAthlete(uncached)
  t.equal(await whoAmI(uncached, third.apiKey), 200)
  t.equal(await revokeApiKeys(uncached.db, third.id), 1)
  t.equal(await whoAmI(uncached, third.apiKey), 401, 'with API_KEY_CACHE_MS=0 every request looks the key up')
})
