import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'kysely'
import t from 'tap'
import type { App } from '../../src/app.ts'
import { refreshDueTokens } from '../../src/tokens/refresh.ts'
import { loadTokens } from '../../src/tokens/store.ts'
import { createStravaClient, type StravaClient, type StravaClientOptions } from '../../src/tokens/strava-client.ts'
import type { FakeStrava } from '../fake-strava.ts'
import { build, createTestDatabase, TEST_ADMIN_TOKEN } from '../helper.ts'
import { adminHeaders, seedAthletes, startFake, stravaEnv, type SeededAthlete } from './fixtures.ts'

const headers = adminHeaders(TEST_ADMIN_TOKEN)

const refreshRoute = (app: App, payload?: object) =>
  app.inject({ method: 'POST', url: '/admin/batch-refresh-tokens', headers, ...(payload && { payload }) })

/** A run through the service with a client tuned for tests: short timeouts, short backoff. */
function fastRun (app: App, fake: FakeStrava, client: Partial<StravaClientOptions> = {}, options: Parameters<typeof refreshDueTokens>[1] = {}) {
  const strava = createStravaClient({ baseUrl: fake.url, clientId: fake.clientId, clientSecret: fake.clientSecret, timeoutMs: 1000, baseDelayMs: 5, ...client })
  return refreshDueTokens({ db: app.db, cipher: app.tokenCipher, strava }, options)
}

/** Athletes whose stored refresh token is not the one the fake Strava currently honours. */
async function outOfStep (app: App, fake: FakeStrava, athletes: SeededAthlete[]): Promise<number[]> {
  const stored = await loadTokens(app.db, app.tokenCipher, athletes.map(a => a.athleteId))
  return athletes.filter(a => stored.get(a.athleteId)?.refreshToken !== fake.currentRefreshToken(a.stravaId)).map(a => a.athleteId)
}

const tokenTable = async (app: App) =>
  (await sql<{ dump: string }>`select coalesce(json_agg(t order by athlete_id), '[]')::text as dump from strava_tokens t`.execute(app.db)).rows[0]!.dump

t.test('two refresh runs started together on two instances never refresh the same athlete', async t => {
  const fake = await startFake(t, { latencyMs: 5 })
  const databaseUrl = await createTestDatabase(t)
  const [first, second] = await Promise.all([1, 2].map(() => build(t, { databaseUrl, env: stravaEnv(fake) })))
  const athletes = await seedAthletes(first!.db, first!.tokenCipher, fake, 60)

  const replies = await Promise.all([refreshRoute(first!, { concurrency: 4 }), refreshRoute(second!, { concurrency: 4 })])
  const counts = replies.map(r => r.json())
  t.same(replies.map(r => r.statusCode), [200, 200])
  t.equal(counts[0].refreshed + counts[1].refreshed, 60, 'every due token refreshed once in total')
  t.equal(counts[0].checked + counts[1].checked, 60)
  t.ok(counts.every(c => c.failed === 0 && c.invalidated === 0 && c.skipped === 0))
  t.same([...new Set(athletes.map(a => fake.refreshCallsFor(a.stravaId)))], [1], 'exactly one Strava call per athlete')
  t.same(await outOfStep(first!, fake, athletes), [], 'every stored token is the one Strava honours')
  const leased = await first!.db.selectFrom('strava_tokens').select('athlete_id').where('refresh_claimed_until', 'is not', null).execute()
  t.same(leased, [], 'no lease is left behind')
})

for (const errorStyle of ['strava', 'oauth'] as const) {
  t.test(`invalid_grant (${errorStyle} error body) invalidates only that athlete, with an event`, async t => {
    const logs: string[] = []
    const fake = await startFake(t, { errorStyle })
    const app = await build(t, { env: stravaEnv(fake), onLog: line => logs.push(line) })
    const athletes = await seedAthletes(app.db, app.tokenCipher, fake, 5)
    const revoked = athletes[2]!
    fake.revoke(revoked.stravaId)

    const res = await refreshRoute(app)
    t.equal(res.statusCode, 200)
    t.match(res.json(), { checked: 5, refreshed: 4, failed: 0, invalidated: 1, skipped: 0 })
    const rows = await app.db.selectFrom('strava_tokens').select(['athlete_id', 'status', 'invalid_since', 'last_error']).orderBy('athlete_id').execute()
    t.same(rows.filter(r => r.status === 'invalid').map(r => r.athlete_id), [revoked.athleteId])
    t.ok(rows.find(r => r.athlete_id === revoked.athleteId)!.invalid_since)
    const events = await app.db.selectFrom('token_events').select(['athlete_id', 'event']).where('event', '!=', 'saved').execute()
    t.same(events.filter(e => e.event === 'invalidated'), [{ athlete_id: revoked.athleteId, event: 'invalidated' }])
    t.equal(events.filter(e => e.event === 'refreshed').length, 4)
    const counter = await app.metrics.tokenRefreshes.get()
    t.same(Object.fromEntries(counter.values.map(v => [v.labels.outcome, v.value])),
      { refreshed: 4, failed: 0, invalidated: 1, skipped: 0 }, 'the refresh outcome counters match the reply')
    t.notMatch(logs.join('') + res.body + JSON.stringify(rows), /fake-(access|refresh)-/, 'no token in logs, reply or errors')
  })
}

t.test('a rotated token the database refuses costs only that athlete: the others written with it in one statement are stored', async t => {
  const fake = await startFake(t)
  const app = await build(t, { env: stravaEnv(fake) })
  const athletes = await seedAthletes(app.db, app.tokenCipher, fake, 8)
  // Every call answers at the same instant, so the four writes in flight are single tokens
  // and the last four returned go together in the next statement, the last one with an
  // expiry PostgreSQL cannot store.
  let release = () => {}
  const gate = new Promise<void>(resolve => { release = resolve })
  const answered: string[] = []
  const strava = {
    refresh: async (refreshToken: string) => {
      const order = answered.push(refreshToken)
      if (order === athletes.length) release()
      await gate
      const stravaId = refreshToken.split('-')[2]
      return { accessToken: `new-access-${stravaId}`, refreshToken: `new-refresh-${stravaId}`, expiresAt: order === athletes.length ? 1e300 : 2_000_000_000 }
    },
    exchangeCode: async () => { throw new Error('not called by a refresh') }
  } satisfies StravaClient

  await t.rejects(refreshDueTokens({ db: app.db, cipher: app.tokenCipher, strava }, { concurrency: 8 }), /out of range/)
  const refused = Number(answered.at(-1)!.split('-')[2])
  const stored = await loadTokens(app.db, app.tokenCipher, athletes.map(a => a.athleteId))
  for (const athlete of athletes) {
    const expected = athlete.stravaId === refused ? fake.currentRefreshToken(athlete.stravaId) : `new-refresh-${athlete.stravaId}`
    t.equal(stored.get(athlete.athleteId)!.refreshToken, expected, `athlete ${athlete.stravaId}${athlete.stravaId === refused ? ' (refused)' : ''}`)
  }
  const events = await app.db.selectFrom('token_events').select('athlete_id').where('event', '=', 'refreshed').execute()
  t.equal(events.length, athletes.length - 1)
})

t.test('invalid_client aborts the run with a 502 and leaves the tokens table byte-identical', async t => {
  const fake = await startFake(t)
  const app = await build(t, { env: { ...stravaEnv(fake), STRAVA_CLIENT_SECRET: 'wrong-secret' } })
  await seedAthletes(app.db, app.tokenCipher, fake, 12)
  const before = await tokenTable(app)
  const eventsBefore = await app.db.selectFrom('token_events').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow()

  const res = await refreshRoute(app, { concurrency: 2 })
  t.equal(res.statusCode, 502)
  t.match(res.json(), { statusCode: 502, error: 'Bad Gateway', message: /invalid_client/ })
  t.equal(await tokenTable(app), before)
  t.same(await app.db.selectFrom('token_events').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow(), eventsBefore)
  t.ok(fake.calls.token <= 2, 'the run stopped at the first answers instead of trying every token')
})

t.test('5xx answers are retried until Strava recovers', async t => {
  const fake = await startFake(t)
  const app = await build(t, { env: stravaEnv(fake) })
  const athletes = await seedAthletes(app.db, app.tokenCipher, fake, 3)
  fake.failNext({ status: 503 }, { status: 500 })
  const counts = await fastRun(app, fake, {}, { concurrency: 1 })
  t.match(counts, { checked: 3, refreshed: 3, failed: 0, invalidated: 0, skipped: 0 })
  t.equal(fake.calls.token, 5)
  t.same(await outOfStep(app, fake, athletes), [])
})

t.test('a 429 with Retry-After is waited out, then the refresh goes through', async t => {
  const fake = await startFake(t)
  const app = await build(t, { env: stravaEnv(fake) })
  await seedAthletes(app.db, app.tokenCipher, fake, 2)
  fake.failNext({ status: 429, retryAfterS: 1 })
  const counts = await fastRun(app, fake, {}, { concurrency: 1 })
  t.match(counts, { checked: 2, refreshed: 2, failed: 0 })
  t.ok(counts.durationMs >= 1000, `waited the second Strava asked for (${counts.durationMs} ms)`)
})

t.test('when retries run out the token counts as failed, and the next run refreshes it', async t => {
  const fake = await startFake(t)
  const app = await build(t, { env: stravaEnv(fake) })
  const athletes = await seedAthletes(app.db, app.tokenCipher, fake, 3)
  fake.failNext({ status: 503 }, { status: 503 }, { status: 502 }, { status: 502 })
  t.match(await fastRun(app, fake, { maxAttempts: 2 }, { concurrency: 1 }), { checked: 3, refreshed: 1, failed: 2, invalidated: 0 })
  const failed = await app.db.selectFrom('strava_tokens').select(['failure_count', 'last_error', 'status']).where('failure_count', '>', 0).execute()
  t.equal(failed.length, 2)
  t.ok(failed.every(r => r.status === 'active' && /HTTP 50[23] after 2 attempt/.test(r.last_error!)))

  t.match(await fastRun(app, fake), { checked: 2, refreshed: 2, failed: 0 })
  t.same(await outOfStep(app, fake, athletes), [])
})

t.test('a Strava slower than the timeout fails the run cleanly, and the next run refreshes every token', async t => {
  const fake = await startFake(t, { latencyMs: 400 })
  const app = await build(t, { env: stravaEnv(fake) })
  const athletes = await seedAthletes(app.db, app.tokenCipher, fake, 4)
  t.match(await fastRun(app, fake, { timeoutMs: 100, maxAttempts: 2 }, { concurrency: 4 }), { checked: 4, refreshed: 0, failed: 4, invalidated: 0 })
  t.match((await app.db.selectFrom('strava_tokens').select('last_error').executeTakeFirstOrThrow()).last_error, /timed out after 100 ms/)

  fake.state.latencyMs = 0
  t.match(await fastRun(app, fake), { checked: 4, refreshed: 4, failed: 0, invalidated: 0 })
  t.same(await outOfStep(app, fake, athletes), [])
})

t.test('only due tokens are refreshed; named athletes that are not due count as skipped', async t => {
  const fake = await startFake(t)
  const app = await build(t, { env: stravaEnv(fake) })
  const due = await seedAthletes(app.db, app.tokenCipher, fake, 3)
  const fresh = await seedAthletes(app.db, app.tokenCipher, fake, 2, { minutesLeft: 300 })

  const named = await refreshRoute(app, { athleteIds: [due[0]!.athleteId, fresh[0]!.athleteId, 999_999] })
  t.match(named.json(), { checked: 1, refreshed: 1, skipped: 2 })
  t.match((await refreshRoute(app)).json(), { checked: 2, refreshed: 2, skipped: 0 })
  t.match((await refreshRoute(app, { withinMinutes: 330 })).json(), { checked: 2, refreshed: 2 }, 'a wider window takes the fresh ones too')
  t.equal(fake.refreshCallsFor(due[0]!.stravaId), 1)
})

t.test('with TOKEN_REFRESH_INTERVAL_S set, due tokens are refreshed in the background until close', async t => {
  const fake = await startFake(t)
  const app = await build(t, { env: { ...stravaEnv(fake), TOKEN_REFRESH_INTERVAL_S: '1' } })
  const athletes = await seedAthletes(app.db, app.tokenCipher, fake, 3)
  for (let waited = 0; waited < 4000 && (await outOfStep(app, fake, athletes)).length > 0; waited += 100) await sleep(100)
  t.same(await outOfStep(app, fake, athletes), [])
  await app.close()
  const calls = fake.calls.token
  await sleep(1200)
  t.equal(fake.calls.token, calls, 'no run after close')
})
