import { sql } from 'kysely'
import t from 'tap'
import { summarizeTokens } from '../../src/tokens/summary.ts'
import { build } from '../helper.ts'

const sealed = 'v1.k1.aaaa.bbbb.cccc'

t.test('every athlete falls in exactly one token bucket', async t => {
  const app = await build(t)
  const ids = (await app.db.insertInto('athletes').values(Array.from({ length: 6 }, (_, i) => ({ name: `athlete ${i}` }))).returning('id').execute()).map(r => r.id)
  const token = (athleteId: number, minutesLeft: number, status: 'active' | 'invalid' = 'active') => ({
    athlete_id: athleteId,
    access_token: sealed,
    refresh_token: sealed,
    expires_at: sql<Date>`now() + make_interval(mins => ${minutesLeft})`,
    status,
    invalid_since: status === 'invalid' ? sql<Date>`now()` : null
  })
  await app.db.insertInto('strava_tokens').values([
    token(ids[0]!, 300),
    token(ids[1]!, 61),
    token(ids[2]!, 30),
    token(ids[3]!, -10),
    token(ids[4]!, 300, 'invalid')
  ]).execute()

  t.same(await summarizeTokens(app.db), { total: 6, healthy: 2, expiringSoon: 1, expired: 1, invalid: 1, missing: 1 })
})

t.test('an empty fleet sums to zeros', async t => {
  const app = await build(t)
  t.same(await summarizeTokens(app.db), { total: 0, healthy: 0, expiringSoon: 0, expired: 0, invalid: 0, missing: 0 })
})
