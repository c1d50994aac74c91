import t from 'tap'
import { build, TEST_ADMIN_TOKEN } from '../helper.ts'
import { issueApiKey } from '../../src/athletes/api-keys.ts'

const admin = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` }

async function seedAthletes (app: Awaited<ReturnType<typeof build>>, count: number): Promise<number[]> {
  const rows = await app.db.insertInto('athletes')
    .values(Array.from({ length: count }, (_, i) => ({ strava_athlete_id: 5000 + i, name: `Athlete ${i}` })))
    .returning('id')
    .execute()
  return rows.map(row => row.id)
}

t.test('GET /admin/athletes pages through every athlete once, in id order', async t => {
  const app = await build(t)
  const ids = await seedAthletes(app, 5)
  const seen: number[] = []
  let cursor: string | null = null
  let pages = 0
  do {
    const res: { statusCode: number, json: () => any } = await app.inject({ url: '/admin/athletes', query: { limit: '2', ...(cursor ? { cursor } : {}) }, headers: admin })
    t.equal(res.statusCode, 200)
    const body: { athletes: Array<{ id: number }>, nextCursor: string | null } = res.json()
    t.ok(body.athletes.length <= 2)
    seen.push(...body.athletes.map(a => a.id))
    cursor = body.nextCursor
    pages++
  } while (cursor !== null && pages < 10)
  t.same(seen, ids)
  t.equal(pages, 3, 'the last page says there is no next one')
})

t.test('each listed athlete carries its id, Strava athlete id and name only', async t => {
  const app = await build(t)
  const [id] = await seedAthletes(app, 1)
  const res = await app.inject({ url: '/admin/athletes', headers: admin })
  t.same(res.json(), { athletes: [{ id, stravaAthleteId: 5000, name: 'Athlete 0' }], nextCursor: null })
})

t.test('GET /admin/athletes takes the admin token only: no credential is a 401, an athlete key a 403', async t => {
  const app = await build(t)
  const [id] = await seedAthletes(app, 1)
  const { apiKey } = await issueApiKey(app.db, id!)
  t.equal((await app.inject({ url: '/admin/athletes' })).statusCode, 401)
  t.equal((await app.inject({ url: '/admin/athletes', headers: { authorization: `Bearer ${apiKey}` } })).statusCode, 403)
})

t.test('a malformed cursor or limit is a 400 naming it', async t => {
  const app = await build(t)
  const badCursor = await app.inject({ url: '/admin/athletes?cursor=abc', headers: admin })
  t.equal(badCursor.statusCode, 400)
  t.match(badCursor.json().message, /cursor/)
  const badLimit = await app.inject({ url: '/admin/athletes?limit=0', headers: admin })
  t.equal(badLimit.statusCode, 400)
  t.match(badLimit.json().message, /limit/)
})
