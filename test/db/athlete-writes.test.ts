import pg from 'pg'
import t, { type Test } from 'tap'
import { athletesWriting, writeForAthlete } from '../../src/db/athlete-writes.ts'
import { createDatabase } from '../../src/db/database.ts'
import type { App } from '../../src/app.ts'
import { build, createTestDatabase, testConfig } from '../helper.ts'
import { adminHeaders, bearer, createAthlete, daysAgo, ingest, run } from '../fixtures.ts'

const settingsPatch = (app: App, athleteId: number, payload: Record<string, unknown>, headers = adminHeaders) =>
  app.inject({ method: 'PATCH', url: `/api/athletes/${athleteId}/settings`, headers, payload })

/** A transaction on its own connection holding `athleteId`'s row lock until `release` is called. */
async function holdAthleteLock (t: Test, databaseUrl: string, athleteId: number) {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  t.teardown(() => client.end())
  await client.query('begin')
  await client.query('select id from athletes where id = $1 for update', [athleteId])
  return { release: () => client.query('commit') }
}

t.test('one athlete\'s writes run one at a time, hold no connection while queued, and a full queue is a 429', async t => {
  const { db } = createDatabase(await createTestDatabase(t), testConfig({ ATHLETE_WRITE_QUEUE_MAX: '3', DB_POOL_MAX: '2' }), () => {})
  t.teardown(() => db.destroy())
  await db.insertInto('athletes').values([{ name: 'A' }, { name: 'B' }]).execute()
  const [a, b] = (await db.selectFrom('athletes').select('id').orderBy('id').execute()).map(row => row.id)
  let release!: () => void
  const gate = new Promise<void>(resolve => { release = resolve })
  let running = 0
  let mostAtOnce = 0
  const slowWrite = () => writeForAthlete(db, a!, async () => {
    mostAtOnce = Math.max(mostAtOnce, ++running)
    await gate
    running--
    return 'done'
  })
  const queued = [slowWrite(), slowWrite(), slowWrite()]
  const refused = await slowWrite().then(() => undefined, (err: Error & { statusCode?: number, headers?: Record<string, string> }) => err)
  t.equal(refused?.statusCode, 429, 'the fourth write for the same athlete is refused')
  t.match(refused?.message, /too many writes in flight/)
  t.ok(Number(refused?.headers?.['retry-after']) > 0, 'with a Retry-After')
  // Pool of two: one connection is A's running write; B's write still finds one, A's queue holds none.
  t.equal(await writeForAthlete(db, b!, async trx => 'b written'), 'b written', 'another athlete is not held up')
  release()
  t.same(await Promise.all(queued), ['done', 'done', 'done'])
  t.equal(mostAtOnce, 1, 'never two writes of one athlete at once')
  t.equal(athletesWriting(db), 0, 'an idle athlete leaves no queue behind')
})

t.test('a write for an unknown athlete is a 404', async t => {
  const { db } = createDatabase(await createTestDatabase(t), testConfig(), () => {})
  t.teardown(() => db.destroy())
  const err = await writeForAthlete(db, 999_999, async () => 'never').catch((e: Error & { statusCode?: number }) => e)
  t.equal(typeof err === 'string' ? undefined : err.statusCode, 404)
})

t.test('a write waiting on a lock held elsewhere gets a 503 with Retry-After once lock_timeout passes', async t => {
  const app = await build(t, { env: { DB_LOCK_TIMEOUT_MS: '300' } })
  const athlete = await createAthlete(app)
  const lock = await holdAthleteLock(t, app.databaseUrl, athlete.id)
  const res = await settingsPatch(app, athlete.id, { acuteDays: 8 })
  // The answer came while the other transaction still holds the lock: the wait was bounded.
  await lock.release()
  t.equal(res.statusCode, 503)
  t.ok(Number(res.headers['retry-after']) > 0, 'Retry-After is set')
  t.match(res.json(), { statusCode: 503, error: 'Service Unavailable', message: /retry shortly/ })
  t.notMatch(res.body, /lock|athletes|timeout/i, 'no internals in the message')
  t.equal((await settingsPatch(app, athlete.id, { acuteDays: 8 })).statusCode, 200, 'once the lock is free the same write succeeds')
})

t.test('a statement cancelled by statement_timeout is a 503 with Retry-After, not a 500', async t => {
  const app = await build(t, { env: { DB_STATEMENT_TIMEOUT_MS: '300', DB_LOCK_TIMEOUT_MS: '60000' } })
  const athlete = await createAthlete(app)
  const lock = await holdAthleteLock(t, app.databaseUrl, athlete.id)
  const res = await ingest(app, athlete.id, [run(1, daysAgo(1), 5)])
  await lock.release()
  t.equal(res.statusCode, 503)
  t.ok(Number(res.headers['retry-after']) > 0)
  t.equal(await app.db.selectFrom('activities').select('id').execute().then(rows => rows.length), 0, 'nothing was written')
})

t.test('a storm of one athlete\'s writes leaves another athlete\'s reads and /health without a 5xx', async t => {
  // A small pool makes starvation certain: 30 writers each holding a connection while they
  // wait for A's lock left nothing for B or /health.
  const app = await build(t, { env: { DB_POOL_MAX: '4' } })
  const a = await createAthlete(app)
  const b = await createAthlete(app)
  const history = (first: number) => Array.from({ length: 120 }, (_, i) => run(first + i, daysAgo(i), 3 + (i % 5)))
  t.equal((await ingest(app, a.id, history(1))).statusCode, 200)
  t.equal((await ingest(app, b.id, history(1))).statusCode, 200)

  const stormStatuses: Array<{ status: number, retryAfter: unknown }> = []
  const writeOfA = (i: number) => i % 3 === 0
    ? app.inject({ method: 'PUT', url: `/api/athletes/${a.id}/activities`, headers: bearer(a.apiKey), payload: { activities: history(1000 + i * 200) } })
    : settingsPatch(app, a.id, { acuteDays: 7 + (i % 2), chronicDays: 28 + (i % 4) }, bearer(a.apiKey))
  const storm = { over: false }
  const writes = Promise.all(Array.from({ length: 30 }, async (_, i) => {
    const res = await writeOfA(i)
    stormStatuses.push({ status: res.statusCode, retryAfter: res.headers['retry-after'] })
  })).finally(() => { storm.over = true })
  const probe = async (url: string, headers: Record<string, string> = {}) => {
    const statuses: number[] = []
    // Bounded: at most 200 probes, and none after the storm ends.
    while (!storm.over && statuses.length < 200) statuses.push((await app.inject({ url, headers })).statusCode)
    return statuses
  }
  const [, bStatuses, healthStatuses] = await Promise.all([writes, probe(`/api/athletes/${b.id}/acwr/latest`, bearer(b.apiKey)), probe('/health')])

  t.ok(bStatuses.length > 0 && healthStatuses.length > 0, 'B and /health were probed during the storm')
  t.same([...new Set(bStatuses)], [200], 'every read of B succeeded')
  t.same([...new Set(healthStatuses)], [200], 'every /health probe succeeded')
  const unexpected = stormStatuses.filter(({ status, retryAfter }) =>
    !(status === 200 || status === 409 || ((status === 429 || status === 503) && Number(retryAfter) > 0)))
  t.same(unexpected, [], 'A got only 2xx, 409, or 429/503 with Retry-After')
  t.ok(stormStatuses.some(({ status }) => status === 200), 'some of A\'s writes went through')
  t.equal(athletesWriting(app.db), 0, 'no queue is left behind')
})
