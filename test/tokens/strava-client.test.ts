import t from 'tap'
import { classifyFailure, createStravaClient, retryDelayMs, StravaError } from '../../src/tokens/strava-client.ts'
import { startFake } from './fixtures.ts'

t.test('failures are classified by status and error codes, never by message text', async t => {
  const cases: Array<[number, unknown, string]> = [
    [400, { error: 'invalid_grant' }, 'reauthorize'],
    [401, { message: 'Bad Request', errors: [{ resource: 'RefreshToken', field: 'refresh_token', code: 'invalid' }] }, 'reauthorize'],
    [401, { error: 'invalid_client' }, 'misconfigured'],
    [400, { message: 'Bad Request', errors: [{ resource: 'Application', field: 'client_id', code: 'invalid' }] }, 'misconfigured'],
    [400, { message: 'Bad Request', errors: [{ resource: 'Athlete', field: 'client_id', code: 'invalid' }] }, 'misconfigured'],
    [503, { message: 'invalid refresh token, invalid client' }, 'unavailable'],
    [429, { error: 'invalid_grant' }, 'unavailable'],
    [400, { message: 'invalid grant: refresh token invalid' }, 'rejected'],
    [403, 'not json', 'rejected']
  ]
  for (const [status, body, expected] of cases) t.equal(classifyFailure(status, body), expected, `${status} ${JSON.stringify(body)}`)
})

t.test('retry delays honour Retry-After and exhausted rate-limit windows, else back off with jitter', async t => {
  // Answer headers as they arrive: names lower-cased.
  const headers = (entries: Record<string, string>) => entries
  const now = new Date('2026-03-01T10:07:30Z')
  t.equal(retryDelayMs(headers({ 'retry-after': '3' }), 0, 100, () => 0.5, now), 3000)
  t.equal(retryDelayMs(headers({ 'retry-after': 'Sun, 01 Mar 2026 10:07:40 GMT' }), 0, 100, () => 0.5, now), 10_000)
  t.equal(retryDelayMs(headers({ 'x-ratelimit-limit': '200,2000', 'x-ratelimit-usage': '200,900' }), 0, 100, () => 0.5, now), 450_000, 'until the quarter hour')
  t.equal(retryDelayMs(headers({ 'x-ratelimit-limit': '200,2000', 'x-ratelimit-usage': '10,2000' }), 0, 100, () => 0.5, now), 13 * 3600_000 + 52 * 60_000 + 30_000, 'until midnight UTC')
  t.equal(retryDelayMs(headers({ 'x-ratelimit-limit': '200,2000', 'x-ratelimit-usage': '10,20' }), 3, 100, () => 0, now), 400, 'backoff floor is half the ceiling')
  t.equal(retryDelayMs(undefined, 3, 100, () => 1, now), 800, 'backoff ceiling doubles per attempt')
})

t.test('the client retries 5xx and 429, gives up after maxAttempts, and does not retry a rejected grant', async t => {
  const fake = await startFake(t)
  const client = createStravaClient({ baseUrl: fake.url, clientId: fake.clientId, clientSecret: fake.clientSecret, baseDelayMs: 5, maxAttempts: 3 })
  const { refresh_token: refreshToken } = fake.addAthlete(7)

  fake.failNext({ status: 502 }, { status: 429, retryAfterS: 0 })
  const tokens = await client.refresh(refreshToken)
  t.equal(tokens.refreshToken, fake.currentRefreshToken(7))
  t.equal(fake.calls.token, 3)

  fake.failNext({ status: 503 }, { status: 503 }, { status: 503 })
  const unavailable = await client.refresh(tokens.refreshToken).catch(e => e)
  t.type(unavailable, StravaError)
  t.match(unavailable, { failure: 'unavailable', status: 503 })
  t.equal(fake.calls.token, 6, 'three attempts, no more')

  const before = fake.calls.token
  const rejected = await client.refresh(refreshToken).catch(e => e)
  t.match(rejected, { failure: 'reauthorize', status: 400 }, 'the rotated-out token is rejected')
  t.equal(fake.calls.token, before + 1, 'a rejected grant is not retried')
  t.notMatch(rejected.message, refreshToken)
})

t.test('a rate limit asking for a longer wait than the client allows ends the call at once', async t => {
  const fake = await startFake(t)
  const client = createStravaClient({ baseUrl: fake.url, clientId: fake.clientId, clientSecret: fake.clientSecret, maxDelayMs: 1000 })
  fake.failNext({ status: 429, retryAfterS: 900 })
  const started = performance.now()
  t.match(await client.refresh(fake.addAthlete(8).refresh_token).catch(e => e), { failure: 'unavailable', status: 429 })
  t.ok(performance.now() - started < 1000)
  t.equal(fake.calls.token, 1)
})
