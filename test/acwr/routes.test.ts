import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { build } from '../helper.ts'
import { adminHeaders, bearer, createAthlete, daysAgo, ingest, readAcwr, run } from '../fixtures.ts'

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
  t.equal(days.at(-1)!.external.chronic, 70 / 11)
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
