import t from 'tap'
import { build } from '../helper.ts'
import { adminHeaders, bearer, createAthlete } from '../fixtures.ts'

t.test('past WRITE_RATE_LIMIT_MAX writes a credential gets 429s with Retry-After, and no one else does', async t => {
  const app = await build(t, { env: { WRITE_RATE_LIMIT_MAX: '3', ADMIN_WRITE_RATE_LIMIT_MAX: '50' } })
  const a = await createAthlete(app)
  const b = await createAthlete(app)
  const patch = (id: number, headers: Record<string, string>, acuteDays: number) =>
    app.inject({ method: 'PATCH', url: `/api/athletes/${id}/settings`, headers, payload: { acuteDays } })

  const statuses = []
  for (const acuteDays of [7, 8, 9]) statuses.push((await patch(a.id, bearer(a.apiKey), acuteDays)).statusCode)
  t.same(statuses, [200, 200, 200], 'up to the limit every write goes through')
  const limited = await patch(a.id, bearer(a.apiKey), 10)
  t.equal(limited.statusCode, 429)
  t.ok(Number(limited.headers['retry-after']) > 0, 'Retry-After is set')
  t.match(limited.json(), { statusCode: 429, error: 'Too Many Requests', message: /Too many writes with this credential: at most 3 per 60 s/ })
  const deleted = await app.inject({ method: 'DELETE', url: `/api/athletes/${a.id}/activities/1`, headers: bearer(a.apiKey) })
  t.equal(deleted.statusCode, 429, 'every write method counts, a DELETE too')

  t.equal((await app.inject({ url: `/api/athletes/${a.id}`, headers: bearer(a.apiKey) })).statusCode, 200, 'reads are not limited')
  t.equal((await patch(b.id, bearer(b.apiKey), 8)).statusCode, 200, 'another athlete from the same address has its own budget')
  t.equal((await patch(a.id, adminHeaders, 8)).statusCode, 200, 'the admin token has its own budget')
})

t.test('the admin token is limited by ADMIN_WRITE_RATE_LIMIT_MAX, and a failed credential spends no write budget', async t => {
  const app = await build(t, { env: { WRITE_RATE_LIMIT_MAX: '2', ADMIN_WRITE_RATE_LIMIT_MAX: '3' } })
  const a = await createAthlete(app) // two admin writes: the athlete and its key
  const wrongKey = await app.inject({ method: 'PATCH', url: `/api/athletes/${a.id}/settings`, headers: bearer('tl_not-a-key'), payload: {} })
  t.equal(wrongKey.statusCode, 401)
  const put = () => app.inject({ method: 'PUT', url: '/admin/athletes', headers: adminHeaders, payload: { athletes: [{ stravaAthleteId: 77 }] } })
  t.equal((await put()).statusCode, 200, 'the third admin write')
  const limited = await put()
  t.equal(limited.statusCode, 429, 'the fourth is over the admin limit')
  t.ok(Number(limited.headers['retry-after']) > 0)
  t.equal((await app.inject({ method: 'PATCH', url: `/api/athletes/${a.id}/settings`, headers: bearer(a.apiKey), payload: {} })).statusCode, 200,
    'the athlete\'s key was not charged for the failed attempt')
})
