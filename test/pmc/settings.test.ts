import t from 'tap'
import { build } from '../helper.ts'
import { adminHeaders, createAthlete, daysAgo, ingest, run, setSettings } from '../fixtures.ts'

t.test('ctlDays and atlDays are settings, and a change recomputes the stored PMC in the same request', async t => {
  // One day of 100, the first activity day, then a rest day. With τ = 21 and 4:
  // CTL = 100·(1 − e^(−1/21)) = 4.65030 and ATL = 100·(1 − e^(−1/4)) = 22.1199 that day.
  const app = await build(t)
  const { id } = await createAthlete(app)
  await ingest(app, id, [run(1, daysAgo(1), 100)])
  const before = await app.db.selectFrom('acwr_daily').select(['day', 'computed_at']).where('athlete_id', '=', id).orderBy('day').execute()

  const athlete = await setSettings(app, id, { ctlDays: 21, atlDays: 4 })
  t.match(athlete.settings, { ctlDays: 21, atlDays: 4 })
  const [day] = await app.db.selectFrom('acwr_daily').select(['external_ctl', 'external_atl', 'computed_at'])
    .where('athlete_id', '=', id).where('day', '=', daysAgo(1)).execute()
  t.ok(Math.abs(day!.external_ctl - 100 * (1 - Math.exp(-1 / 21))) < 1e-12, `stored CTL ${day!.external_ctl} follows τ = 21`)
  t.ok(Math.abs(day!.external_atl - 100 * (1 - Math.exp(-1 / 4))) < 1e-12, `stored ATL ${day!.external_atl} follows τ = 4`)
  t.ok(day!.computed_at > before[0]!.computed_at, 'the row was rewritten by the settings change itself')

  const reply = (await app.inject({ url: `/api/athletes/${id}/pmc`, headers: adminHeaders })).json()
  t.match(reply, { ctlDays: 21, atlDays: 4 })
  t.same(reply.days[0].external, { load: 100, ctl: 4.65, atl: 22.12, tsb: 0, rampRate: null, monotony: null, strain: null })
})

t.test('a refused change to ctlDays or atlDays leaves the settings and the series as they were', async t => {
  const app = await build(t)
  const { id } = await createAthlete(app)
  await ingest(app, id, [run(1, daysAgo(3), 40), run(2, daysAgo(1), 60)])
  const stored = () => app.db.selectFrom('acwr_daily').selectAll().where('athlete_id', '=', id).orderBy('day').execute()
  const rows = await stored()
  const res = await app.inject({ method: 'PATCH', url: `/api/athletes/${id}/settings`, headers: adminHeaders, payload: { atlDays: 28, ctlDays: 20 } })
  t.equal(res.statusCode, 400)
  t.match(res.json().message, /^atlDays: /)
  const athlete = (await app.inject({ url: `/api/athletes/${id}`, headers: adminHeaders })).json()
  t.match(athlete.settings, { ctlDays: 42, atlDays: 7 })
  t.same(await stored(), rows, 'no row changed')
})
