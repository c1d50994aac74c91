import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { build } from '../helper.ts'
import { adminHeaders, bearer, createAthlete, daysAgo, ingest, readAcwr, run, setSettings } from '../fixtures.ts'

t.test('the ACWR read defaults to the last 90 days, stops at today and bounds the range', async t => {
  const app = await build(t)
  const { id, apiKey } = await createAthlete(app)
  await ingest(app, id, [run(1, daysAgo(120), 10), run(2, daysAgo(3), 20, { averageHeartrate: 150 })])
  const res = await app.inject({ url: `/api/athletes/${id}/acwr`, headers: bearer(apiKey) })
  t.equal(res.statusCode, 200)
  const body = res.json()
  t.match(body, { athleteId: id, model: 'rolling', acuteDays: 7, chronicDays: 28, decayRate: 0.05 })
  t.equal(body.days.length, 90)
  t.equal(body.days[0].date, daysAgo(89))
  t.equal(body.days.at(-1).date, daysAgo(0))
  t.same(Object.keys(body.days[0]).sort(), ['complete', 'date', 'divergence', 'external', 'internal'])
  t.same(Object.keys(body.days[0].external).sort(), ['acute', 'chronic', 'load', 'ratio'])
  t.equal(body.days[0].external.ratio, null, 'chronic 0 gives a null ratio')

  const future = await readAcwr(app, id, `?from=${daysAgo(2)}&to=2999-12-31`)
  t.same(future.map(day => day.date), [daysAgo(2), daysAgo(1), daysAgo(0)], 'a read past today stops at today')
  const all = await readAcwr(app, id, `?from=${daysAgo(3000)}`)
  t.equal(all.length, 121, 'the series starts at the first activity')

  for (const [query, message] of [[`?from=${daysAgo(1)}&to=${daysAgo(2)}`, /from/], [`?from=${daysAgo(3660)}`, /3660/], ['?from=2026-02-30', /from/]] as const) {
    const bad = await app.inject({ url: `/api/athletes/${id}/acwr${query}`, headers: adminHeaders })
    t.equal(bad.statusCode, 400, query)
    t.match(bad.json().message, message)
  }
})

t.test('a read up to today never shows a gap, even when the series was not rolled forward', async t => {
  const app = await build(t)
  const { id } = await createAthlete(app)
  await ingest(app, id, [run(1, daysAgo(10), 70)])
  await app.db.deleteFrom('acwr_daily').where('day', '>', daysAgo(6)).execute()
  const days = await readAcwr(app, id)
  t.same(days.map(day => day.date), Array.from({ length: 11 }, (_, i) => daysAgo(10 - i)))
  t.equal(days.at(-1)!.external.acute, 0, 'rest days after the last activity make the acute load fall')
  t.equal(days.at(-1)!.external.chronic, 6.364, '70 / 11, rounded to 3 decimals')
})

t.test('latest gives today and its zone, and a 404 for an athlete without activities', async t => {
  const app = await build(t)
  const { id } = await createAthlete(app)
  const none = await app.inject({ url: `/api/athletes/${id}/acwr/latest`, headers: adminHeaders })
  t.equal(none.statusCode, 404)
  await ingest(app, id, Array.from({ length: 35 }, (_, i) => run(i + 1, daysAgo(34 - i), i < 28 ? 50 : 100)))
  const res = await app.inject({ url: `/api/athletes/${id}/acwr/latest`, headers: adminHeaders })
  t.equal(res.statusCode, 200)
  t.match(res.json(), { date: daysAgo(0), complete: true, external: { load: 100, acute: 100, chronic: 62.5, ratio: 1.6 }, zone: 'danger', divergence: null })
  t.same(res.json().bands, { low: 0.8, high: 1.3, danger: 1.5 }, 'the rolling model states Gabbett\'s bands')
})

const latest = async (app: Parameters<typeof ingest>[0], id: number) => {
  const res = await app.inject({ url: `/api/athletes/${id}/acwr/latest`, headers: adminHeaders })
  t.equal(res.statusCode, 200)
  return res.json()
}

t.test('a new athlete reads insufficient-data, not danger, until the chronic window is complete', async t => {
  const app = await build(t)
  const { id } = await createAthlete(app)
  await ingest(app, id, [run(1, daysAgo(0), 10)])
  t.match(await latest(app, id), { external: { ratio: 1 }, complete: false, zone: 'insufficient-data' }, 'the first day')
  const spike = await createAthlete(app)
  // 27 easy days and a huge one: a ratio of 2.86, but only 28 days are needed and 28 exist...
  await ingest(app, spike.id, Array.from({ length: 27 }, (_, i) => run(i + 1, daysAgo(26 - i), i === 26 ? 100 : 5)))
  t.match(await latest(app, spike.id), { complete: false, zone: 'insufficient-data' }, '...27 days are not enough')
  await ingest(app, spike.id, [run(99, daysAgo(27), 5)])
  t.match(await latest(app, spike.id), { complete: true, zone: 'danger' }, 'day 28 completes the window and the spike shows')
})

t.test('a trivial load after a long break is insufficient-data, a real one is danger', async t => {
  const app = await build(t)
  for (const [load, zone] of [[0.01, 'insufficient-data'], [5, 'danger']] as const) {
    const { id } = await createAthlete(app)
    await ingest(app, id, [run(1, daysAgo(60), 10), run(2, daysAgo(0), load)])
    const today = await latest(app, id)
    t.equal(today.external.ratio, 4, `${load} after 59 rest days: the coupled ratio is C/A`)
    t.equal(today.zone, zone, `${load}: ${zone}`)
  }
})

t.test('each model states its own bands, converted for the athlete\'s windows', async t => {
  const app = await build(t)
  const bandsOf = async (settings: Record<string, unknown>) => {
    const { id } = await createAthlete(app)
    await setSettings(app, id, settings)
    await ingest(app, id, [run(1, daysAgo(3), 10)])
    return (await latest(app, id)).bands
  }
  t.same(await bandsOf({ acwrModel: 'rolling-uncoupled' }), { low: 0.75, high: 1.4444, danger: 1.8 })
  t.same(await bandsOf({ acwrModel: 'rolling-uncoupled', acuteDays: 5, chronicDays: 21 }),
    { low: 0.7529, high: 1.4345, danger: 1.7778 }, '0.8·16/(21−4), 1.3·16/(21−6.5), 1.5·16/(21−7.5)')
  t.same(await bandsOf({ acwrModel: 'ewma' }), { low: 0.8689, high: 1.1789, danger: 1.2877 })
  t.same(await bandsOf({ acwrModel: 'decay' }), { low: 0.8315, high: 1.2301, danger: 1.3703 })
})

t.test('an EWMA series is complete from day 43 at C = 28, when the seed keeps under 5% of the chronic weight', async t => {
  const app = await build(t)
  const { id } = await createAthlete(app)
  await setSettings(app, id, { acwrModel: 'ewma' })
  await ingest(app, id, Array.from({ length: 50 }, (_, i) => run(i + 1, daysAgo(49 - i), 10)))
  const days = await readAcwr(app, id)
  // (27/29)^41 = 0.0534 on day 42, (27/29)^42 = 0.0497 on day 43.
  t.equal(days[41]!.complete, false, 'day 42')
  t.equal(days[42]!.complete, true, 'day 43')
})

t.test('replies round loads to 2 decimals, acute and chronic to 3, ratios and divergence to 4', async t => {
  const app = await build(t)
  const { id } = await createAthlete(app)
  // Loads of 1.1, 2.2 and 1.948 miles: sums and means of them carry float noise when unrounded.
  const loads = [1.1, 2.2, 1.948, 3.3, 0.7, 2.9, 1.15]
  await ingest(app, id, loads.map((load, i) => run(i + 1, daysAgo(6 - i), load, { averageHeartrate: 131 + i })))
  const decimals = (value: number) => (String(value).split('.')[1] ?? '').length
  const days = await readAcwr(app, id)
  const stored = await app.db.selectFrom('acwr_daily').selectAll().where('athlete_id', '=', id).orderBy('day').execute()
  t.ok(stored.some(row => decimals(row.internal_acute!) > 4), 'storage keeps full precision')
  for (const [i, day] of days.entries()) {
    for (const load of [day.external, day.internal]) {
      t.ok(decimals(load.load!) <= 2 && decimals(load.acute!) <= 3 && decimals(load.chronic!) <= 3 && decimals(load.ratio ?? 0) <= 4, `${day.date}: ${JSON.stringify(load)}`)
    }
    t.ok(decimals(day.divergence ?? 0) <= 4)
    t.equal(day.internal.acute, Number(stored[i]!.internal_acute!.toFixed(3)), `${day.date}: the stored acute load, rounded`)
  }
})

t.test('batch recalculation covers the given athletes or everyone, in bounded transactions, and rolls forward without a body', async t => {
  const app = await build(t, { env: { ACWR_BATCH_ATHLETES: '2' } })
  const athletes = []
  for (let i = 0; i < 5; i++) {
    const athlete = await createAthlete(app)
    await ingest(app, athlete.id, [run(1, daysAgo(9), 10 + i)])
    athletes.push(athlete.id)
  }
  const post = (payload?: Record<string, unknown>) =>
    app.inject({ method: 'POST', url: '/admin/batch-recalculate-acwr', headers: adminHeaders, ...(payload ? { payload } : {}) })

  await app.db.deleteFrom('acwr_daily').where('day', '>', daysAgo(3)).execute()
  const rolled = await post()
  t.equal(rolled.statusCode, 200)
  t.match(rolled.json(), { athletes: 5, days: 15 })
  t.type(rolled.json().durationMs, 'number')
  t.equal((await app.db.selectFrom('acwr_daily').selectAll().execute()).length, 50)

  t.match((await post({ athleteIds: [athletes[0]!, athletes[1]!], from: daysAgo(4) })).json(), { athletes: 2, days: 10 })
  t.match((await post({})).json(), { athletes: 5, days: 50 })
  const unknown = await post({ athleteIds: [999999] })
  t.equal(unknown.statusCode, 404)
  t.match(unknown.json().message, /999999/)
  t.equal((await post({ from: '2026-13-01' })).statusCode, 400)
  t.equal((await app.inject({ method: 'POST', url: '/admin/batch-recalculate-acwr' })).statusCode, 401)
})

t.test('the in-process schedule rolls every athlete forward', async t => {
  const app = await build(t, { env: { ACWR_ROLL_FORWARD_INTERVAL_S: '1' } })
  const { id } = await createAthlete(app)
  await ingest(app, id, [run(1, daysAgo(5), 10)])
  await app.db.deleteFrom('acwr_daily').where('day', '>', daysAgo(3)).execute()
  await sleep(1300)
  const rows = await app.db.selectFrom('acwr_daily').select('day').orderBy('day').execute()
  t.equal(rows.at(-1)?.day, daysAgo(0))
  t.equal(rows.length, 6)
})
