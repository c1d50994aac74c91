import t from 'tap'
import { build } from '../helper.ts'
import { adminHeaders } from '../fixtures.ts'

const ITEMS = 2000
const ROUNDS = 3

t.test('concurrent PUT /admin/athletes in opposite orders never deadlock: no 5xx, every row written', async t => {
  const app = await build(t)
  const put = (athletes: unknown[]) => app.inject({ method: 'PUT', url: '/admin/athletes', headers: adminHeaders, payload: { athletes } })
  const stravaIds = Array.from({ length: ITEMS }, (_, i) => 500_000 + i)
  // Round 1 inserts every row from both sides at once; later rounds update the same rows.
  for (let round = 1; round <= ROUNDS; round++) {
    const items = stravaIds.map(stravaAthleteId => ({ stravaAthleteId, name: `round ${round}`, restingHr: 40 + round }))
    const replies = await Promise.all([put(items), put([...items].reverse())])
    t.same(replies.map(res => res.statusCode), [200, 200], `round ${round}: both batches succeed`)
    const [forward, backward] = replies.map(res => (res.json().athletes ?? []) as Array<{ id: number, stravaAthleteId: number }>)
    t.same(new Map(forward!.map(a => [a.stravaAthleteId, a.id])), new Map(backward!.map(a => [a.stravaAthleteId, a.id])),
      `round ${round}: both name the same athlete ids`)
    const stored = await app.db.selectFrom('athletes').select(['name', 'resting_hr']).where('strava_athlete_id', '>=', 500_000).execute()
    t.equal(stored.length, ITEMS, `round ${round}: one row per athlete`)
    t.ok(stored.every(row => row.name === `round ${round}` && row.resting_hr === 40 + round), `round ${round}: every row has the round's values`)
  }
})

t.test('concurrent PUT /admin/strava-tokens in opposite orders never deadlock: no 5xx, every token saved', async t => {
  const app = await build(t)
  const athletes = Array.from({ length: ITEMS }, (_, i) => ({ stravaAthleteId: 700_000 + i }))
  const created = await app.inject({ method: 'PUT', url: '/admin/athletes', headers: adminHeaders, payload: { athletes } })
  const ids = (created.json().athletes as Array<{ id: number }>).map(a => a.id)
  const put = (tokens: unknown[]) => app.inject({ method: 'PUT', url: '/admin/strava-tokens', headers: adminHeaders, payload: { tokens } })
  for (let round = 1; round <= ROUNDS; round++) {
    const expiresAt = 2_000_000_000 + round
    const tokens = ids.map(athleteId => ({ athleteId, accessToken: `access-${round}-${athleteId}`, refreshToken: `refresh-${round}-${athleteId}`, expiresAt }))
    const replies = await Promise.all([put(tokens), put([...tokens].reverse())])
    t.same(replies.map(res => res.statusCode), [200, 200], `round ${round}: both batches succeed`)
    const stored = await app.db.selectFrom('strava_tokens').select(eb => eb.fn.countAll<string>().as('n'))
      .where('expires_at', '=', new Date(expiresAt * 1000)).executeTakeFirstOrThrow()
    t.equal(Number(stored.n), ITEMS, `round ${round}: every token saved with the round's expiry`)
  }
})
