import t from 'tap'
import { build } from '../helper.ts'
import { adminHeaders, bearer, createAthlete, daysAgo, ingest, run } from '../fixtures.ts'
import type { App } from '../../src/app.ts'

interface PmcValuesView {
  load: number | null
  ctl: number
  atl: number
  tsb: number
  rampRate: number | null
  monotony: number | null
  strain: number | null
}
interface PmcDayView { date: string, external: PmcValuesView, internal: PmcValuesView }

async function readPmc (app: App, athleteId: number, query = ''): Promise<{ athleteId: number, ctlDays: number, atlDays: number, days: PmcDayView[] }> {
  const res = await app.inject({ url: `/api/athletes/${athleteId}/pmc${query}`, headers: adminHeaders })
  if (res.statusCode !== 200) throw new Error(`reading the PMC failed: ${res.body}`)
  return res.json()
}

/** The stored, unrounded external values, in day order. */
async function storedExternal (app: App, athleteId: number) {
  return app.db.selectFrom('acwr_daily')
    .select(['day', 'external_ctl as ctl', 'external_atl as atl', 'external_tsb as tsb', 'external_ramp_rate as rampRate',
      'external_monotony as monotony', 'external_strain as strain'])
    .where('athlete_id', '=', athleteId).orderBy('day').execute()
}

const close = (actual: number | null | undefined, expected: number) =>
  actual !== null && actual !== undefined && Math.abs(actual - expected) <= 1e-12 * Math.max(1, Math.abs(expected))

t.test('a single day of 100 after zero-load days gives CTL = 100·(1 − e^(−1/42)) and ATL = 100·(1 − e^(−1/7)) that day', async t => {
  // λ_ctl = 1 − e^(−1/42) = 0.0235283133…, λ_atl = 1 − e^(−1/7) = 0.1331221002…
  // The first activity is 7 days ago; CTL and ATL start at 0 and stay 0 through the zero-load
  // days. On the day of 100 (yesterday): CTL = 0 + λ_ctl·(100 − 0) = 2.35283133…,
  // ATL = 13.3122100…, and TSB is still the day before's 0 − 0 = 0. Its week holds six 0s and
  // one 100: mean 100/7, sample SD √((6·(100/7)² + (600/7)²)/6) = (100/7)·√7, so monotony =
  // 1/√7 = 0.37796447 and strain = 100/√7 = 37.796447. Today (a rest day) TSB = 2.35283133 −
  // 13.3122100 = −10.9593787, and CTL = 2.35283133·e^(−1/42) = 2.29747…; it is the 8th day, so
  // the ramp rate exists: that CTL minus the 0 of 7 days ago.
  const app = await build(t)
  const { id } = await createAthlete(app)
  t.equal((await ingest(app, id, [run(1, daysAgo(7), 0), run(2, daysAgo(4), 0), run(3, daysAgo(1), 100)])).statusCode, 200)

  const reply = await readPmc(app, id)
  t.same([reply.athleteId, reply.ctlDays, reply.atlDays], [id, 42, 7], 'the defaults, τ = 42 and 7 days')
  t.same(reply.days.map(day => day.date), [7, 6, 5, 4, 3, 2, 1, 0].map(daysAgo), 'one entry per day from the first activity through today')
  const [hundred, today] = reply.days.slice(-2)
  t.same(reply.days.slice(0, 6).map(day => [day.external.ctl, day.external.atl, day.external.tsb]), Array(6).fill([0, 0, 0]))
  t.same(hundred!.external, { load: 100, ctl: 2.353, atl: 13.312, tsb: 0, rampRate: null, monotony: 0.378, strain: 37.7964 })
  t.same([today!.external.tsb, today!.external.ctl, today!.external.rampRate], [-10.959, 2.297, 2.2975])

  const stored = await storedExternal(app, id)
  t.ok(close(stored.at(-2)!.ctl, 100 * (1 - Math.exp(-1 / 42))), `stored CTL ${stored.at(-2)!.ctl} is 100·(1 − e^(−1/42)) to 1e-12`)
  t.ok(close(stored.at(-2)!.atl, 100 * (1 - Math.exp(-1 / 7))), `stored ATL ${stored.at(-2)!.atl} is 100·(1 − e^(−1/7))`)
  t.ok(close(stored.at(-2)!.monotony, 1 / Math.sqrt(7)), `stored monotony ${stored.at(-2)!.monotony} is 1/√7`)
  t.ok(close(stored.at(-1)!.tsb, 100 * (1 - Math.exp(-1 / 42)) - 100 * (1 - Math.exp(-1 / 7))))
  t.ok(close(stored.at(-1)!.rampRate, 100 * (1 - Math.exp(-1 / 42)) * Math.exp(-1 / 42)), 'the ramp rate on day 8 is CTL − CTL 7 days before')
})

t.test('100 a day for 42 days gives CTL = 100·(1 − e^(−1)) on day 42, and TSB on each day uses the day before', async t => {
  // With the same load L every day from 0, CTL_t = L·(1 − (1 − λ)^t) after t days, and
  // (1 − λ)^42 = (e^(−1/42))^42 = e^(−1): CTL on day 42 = 100·(1 − e^(−1)) = 63.2120559.
  // ATL_42 = 100·(1 − e^(−6)) = 99.7521248. Ramp rate on day 42 = CTL_42 − CTL_35 =
  // 100·(e^(−35/42) − e^(−1)) = 6.6718767. Seven equal loads have a standard deviation of 0,
  // so monotony and strain are null.
  const app = await build(t)
  const { id } = await createAthlete(app)
  t.equal((await ingest(app, id, Array.from({ length: 42 }, (_, i) => run(i + 1, daysAgo(41 - i), 100)))).statusCode, 200)

  const { days } = await readPmc(app, id)
  t.equal(days.length, 42)
  const last = days.at(-1)!.external
  t.same(last, { load: 100, ctl: 63.212, atl: 99.752, tsb: last.tsb, rampRate: 6.6719, monotony: null, strain: null })
  t.same(days.slice(0, 7).map(day => day.external.rampRate), Array(7).fill(null), 'no ramp rate for the first 7 days')
  t.not(days[7]!.external.rampRate, null, 'the 8th day has one')

  const stored = await storedExternal(app, id)
  t.ok(close(stored.at(-1)!.ctl, 100 * (1 - Math.exp(-1))), `stored CTL ${stored.at(-1)!.ctl} is 100·(1 − e^(−1)) to 1e-12`)
  t.ok(close(stored.at(-1)!.atl, 100 * (1 - Math.exp(-6))))
  t.ok(close(stored.at(-1)!.rampRate, 100 * (Math.exp(-35 / 42) - Math.exp(-1))))
  t.equal(stored[0]!.tsb, 0, 'TSB is 0 on the first day')
  const mismatched = stored.slice(1).filter((day, i) => !close(day.tsb, stored[i]!.ctl - stored[i]!.atl))
  t.same(mismatched, [], 'TSB_t = CTL_{t−1} − ATL_{t−1} on every later day')
  t.not(stored.at(-1)!.tsb, stored.at(-1)!.ctl - stored.at(-1)!.atl, 'and not today\'s CTL − ATL')
})

t.test('monotony is the 7-day mean over the sample standard deviation, and strain the 7-day total times it', async t => {
  // Loads 10, 20, …, 70 on 7 consecutive days: mean 40; squared deviations 900, 400, 100, 0,
  // 100, 400, 900 sum to 2800, so the sample standard deviation is √(2800/6) = 21.6024690.
  // Monotony = 40 / 21.6024690 = 1.85164020; strain = 280 × 1.85164020 = 518.459256.
  // The 6 days before have fewer than 7 days behind them: no monotony.
  const app = await build(t)
  const { id } = await createAthlete(app)
  t.equal((await ingest(app, id, [10, 20, 30, 40, 50, 60, 70].map((load, i) => run(i + 1, daysAgo(6 - i), load)))).statusCode, 200)

  const { days } = await readPmc(app, id)
  t.same(days.map(day => day.external.monotony), [null, null, null, null, null, null, 1.8516])
  t.same(days.map(day => day.external.strain), [null, null, null, null, null, null, 518.4593])
  const stored = await storedExternal(app, id)
  t.ok(close(stored.at(-1)!.monotony, 40 / Math.sqrt(2800 / 6)), `stored monotony ${stored.at(-1)!.monotony}`)
  t.ok(close(stored.at(-1)!.strain, 280 * 40 / Math.sqrt(2800 / 6)), `stored strain ${stored.at(-1)!.strain}`)
})

t.test('a change to an earlier day updates the PMC from that day on, as a computation from scratch would', async t => {
  const app = await build(t)
  const { id } = await createAthlete(app)
  const history = Array.from({ length: 30 }, (_, i) => run(i + 1, daysAgo(29 - i), 5 + (i * 7) % 11))
  t.equal((await ingest(app, id, history)).statusCode, 200)
  t.equal((await ingest(app, id, [run(3, daysAgo(27), 25), run(100, daysAgo(10), 12)])).statusCode, 200)
  const incremental = await storedExternal(app, id)

  const { id: fresh } = await createAthlete(app)
  const revised = history.map(activity => activity.id === 3 ? run(3, daysAgo(27), 25) : activity)
  t.equal((await ingest(app, fresh, [...revised, run(100, daysAgo(10), 12)])).statusCode, 200)
  t.same(incremental, await storedExternal(app, fresh), 'every stored value is the same')
})

t.test('the PMC range follows the ACWR rules', async t => {
  const app = await build(t)
  const { id, apiKey } = await createAthlete(app)
  const other = await createAthlete(app)
  await ingest(app, id, Array.from({ length: 120 }, (_, i) => run(i + 1, daysAgo(119 - i), 6)))

  t.equal((await readPmc(app, id)).days.length, 90, 'the last 90 days by default')
  const ranged = await readPmc(app, id, `?from=${daysAgo(10)}&to=${daysAgo(5)}`)
  t.same(ranged.days.map(day => day.date), [10, 9, 8, 7, 6, 5].map(daysAgo))
  const own = await app.inject({ url: `/api/athletes/${id}/pmc`, headers: bearer(apiKey) })
  t.equal(own.statusCode, 200, 'the athlete\'s own key reads it')

  const reversed = await app.inject({ url: `/api/athletes/${id}/pmc?from=${daysAgo(1)}&to=${daysAgo(5)}`, headers: adminHeaders })
  t.equal(reversed.statusCode, 400)
  t.match(reversed.json().message, /^from: /, 'a reversed range is a 400 naming from')
  const badDay = await app.inject({ url: `/api/athletes/${id}/pmc?to=2026-02-30`, headers: adminHeaders })
  t.equal(badDay.statusCode, 400)
  t.match(badDay.json().message, /to/)
  const foreign = await app.inject({ url: `/api/athletes/${other.id}/pmc`, headers: bearer(apiKey) })
  t.equal(foreign.statusCode, 403, 'another athlete\'s key is refused')
  const unknown = await app.inject({ url: '/api/athletes/999999/pmc', headers: adminHeaders })
  t.equal(unknown.statusCode, 404)
  t.same((await readPmc(app, other.id)).days, [], 'an athlete without activities has no days')
})
