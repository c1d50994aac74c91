import t from 'tap'
import { FAILED_AUTH_LIMIT } from '../../src/plugins/external/rate-limit.ts'
import type { App } from '../../src/app.ts'
import { adminHeaders, bearer, createAthlete } from '../fixtures.ts'
import { build } from '../helper.ts'

const wrongKey = (i: number) => bearer(`tl_wrong-key-${i}-${'z'.repeat(24)}`)

async function appWithAthlete (t: Parameters<typeof build>[0], env: Record<string, string> = {}) {
  const app = await build(t, { env })
  const athlete = await createAthlete(app)
  return { app, athlete }
}

/** Sends `count` wrong keys to an athlete route with these request options; returns the statuses. */
async function guess (app: App, athleteId: number, count: number, options: { remoteAddress?: string, headers?: Record<string, string> }) {
  const statuses: number[] = []
  for (let i = 0; i < count; i++) {
    const res = await app.inject({ url: `/api/athletes/${athleteId}`, ...options, headers: { ...options.headers, ...wrongKey(i) } })
    statuses.push(res.statusCode)
  }
  return statuses
}

t.test('the attempt after the limit of failed credentials is a 429 with Retry-After', async t => {
  const { app, athlete } = await appWithAthlete(t)
  const attacker = { remoteAddress: '10.0.0.7' }
  const statuses = await guess(app, athlete.id, FAILED_AUTH_LIMIT.max, attacker)
  t.same([...new Set(statuses)], [401], `the first ${FAILED_AUTH_LIMIT.max} are 401s`)
  const limited = await app.inject({ url: '/metrics', headers: bearer('wrong-admin-token'), ...attacker })
  t.equal(limited.statusCode, 429, `attempt ${FAILED_AUTH_LIMIT.max + 1} is refused, on admin routes too`)
  t.ok(Number(limited.headers['retry-after']) > 0, 'Retry-After says when to come back')
  t.same(limited.json(), { statusCode: 429, error: 'Too Many Requests', message: `Too many failed credential attempts from this address; retry in ${limited.headers['retry-after']} s.` })
  const other = await app.inject({ url: `/api/athletes/${athlete.id}`, headers: wrongKey(0), remoteAddress: '10.0.0.8' })
  t.equal(other.statusCode, 401, 'another address has its own count')
})

t.test('after 25 bad keys from one address, the admin token and an athlete key from it still work', async t => {
  const { app, athlete } = await appWithAthlete(t)
  const shared = { remoteAddress: '10.0.0.9' }
  const statuses = await guess(app, athlete.id, 25, shared)
  t.same(statuses.slice(FAILED_AUTH_LIMIT.max), [429, 429, 429, 429, 429], 'the guesses past the limit are 429s')

  t.equal((await app.inject({ url: '/metrics', headers: adminHeaders, ...shared })).statusCode, 200, 'admin token on an admin route')
  t.equal((await app.inject({ url: `/api/athletes/${athlete.id}`, headers: adminHeaders, ...shared })).statusCode, 200, 'admin token on an athlete route')
  t.equal((await app.inject({ url: `/api/athletes/${athlete.id}`, headers: bearer(athlete.apiKey), ...shared })).statusCode, 200, "the athlete's own key")
  const foreign = await app.inject({ url: `/api/athletes/${athlete.id + 1}`, headers: bearer(athlete.apiKey), ...shared })
  t.equal(foreign.statusCode, 403, 'a valid key on the wrong athlete is still its 403, not a 429')
  t.equal((await app.inject({ url: `/api/athletes/${athlete.id}`, ...shared })).statusCode, 401, 'no credential at all is a 401, not counted')
})

t.test('an athlete key on an admin route and a missing credential are not counted as failures', async t => {
  const { app, athlete } = await appWithAthlete(t)
  const caller = { remoteAddress: '10.0.0.10' }
  for (let i = 0; i < FAILED_AUTH_LIMIT.max + 5; i++) {
    t.equal((await app.inject({ url: '/admin/athletes', headers: bearer(athlete.apiKey), ...caller })).statusCode, 403)
    t.equal((await app.inject({ url: '/admin/athletes', ...caller })).statusCode, 401)
  }
  const first = await app.inject({ url: '/admin/athletes', headers: bearer('wrong-admin-token'), ...caller })
  t.equal(first.statusCode, 401, 'the first real failure from that address is still a 401')
})

t.test('without TRUST_PROXY, X-Forwarded-For is ignored: failures count against the connecting address', async t => {
  const { app, athlete } = await appWithAthlete(t)
  const statuses = []
  for (let i = 0; i <= FAILED_AUTH_LIMIT.max; i++) {
    statuses.push(...await guess(app, athlete.id, 1, { remoteAddress: '10.0.1.1', headers: { 'x-forwarded-for': `203.0.113.${i + 1}` } }))
  }
  t.equal(statuses.at(-1), 429, 'a new forwarded address per attempt does not escape the limit')
})

t.test('with TRUST_PROXY, the client address the proxy forwards is counted, each separately', async t => {
  const { app, athlete } = await appWithAthlete(t, { TRUST_PROXY: '10.0.2.1, 10.0.3.0/24' })
  const proxy = (client: string, remoteAddress = '10.0.2.1') => ({ remoteAddress, headers: { 'x-forwarded-for': client } })

  const first = await guess(app, athlete.id, FAILED_AUTH_LIMIT.max + 1, proxy('198.51.100.1'))
  t.equal(first.at(-1), 429, 'the first client reaches the limit')
  const second = await guess(app, athlete.id, FAILED_AUTH_LIMIT.max, proxy('198.51.100.2', '10.0.3.77'))
  t.same([...new Set(second)], [401], 'a second client behind a proxy of the CIDR range is counted on its own')
  t.equal((await guess(app, athlete.id, 1, proxy('198.51.100.2')))[0], 429, 'and reaches its own limit')
  const served = await app.inject({ url: `/api/athletes/${athlete.id}`, remoteAddress: '10.0.2.1', headers: { 'x-forwarded-for': '198.51.100.1', ...bearer(athlete.apiKey) } })
  t.equal(served.statusCode, 200, 'a limited client with a valid key is served')

  const untrusted = await guess(app, athlete.id, FAILED_AUTH_LIMIT.max + 1, proxy('198.51.100.3', '10.0.9.9'))
  t.equal(untrusted.at(-1), 429, 'from an untrusted address X-Forwarded-For is ignored')
  t.equal((await guess(app, athlete.id, 1, proxy('198.51.100.4', '10.0.9.9')))[0], 429, 'so another forwarded address does not reset the count')
})
