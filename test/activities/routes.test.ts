import t from 'tap'
import { build } from '../helper.ts'
import { adminHeaders, createAthlete, daysAgo, ingest, readAcwr, run } from '../fixtures.ts'
import { lockAthletes } from '../../src/db/athletes.ts'
import { ingestActivities } from '../../src/activities/service.ts'

t.test('invalid activities are a 400 naming the field, and nothing is written', async t => {
  const app = await build(t)
  const { id } = await createAthlete(app)
  const valid = run(1, daysAgo(1), 5)
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ startDateLocal: '2026-02-30T08:00:00' }, /startDateLocal/],
    [{ startDateLocal: '2026-03-01' }, /startDateLocal/],
    [{ startDateLocal: '2026-03-01T08:00:00+02:00' }, /startDateLocal/],
    [{ id: Number.MAX_SAFE_INTEGER + 2 }, /activities\/1\/id/],
    [{ id: 0 }, /activities\/1\/id/],
    [{ id: 1.5 }, /activities\/1\/id/],
    [{ movingTimeS: '3600' }, /movingTimeS/],
    [{ movingTimeS: -1 }, /movingTimeS/],
    [{ averageHeartrate: 300 }, /averageHeartrate/],
    [{ perceivedEffort: 11 }, /perceivedEffort/],
    [{ sportType: '' }, /sportType/],
    [{ calories: 500 }, /calories|additional/]
  ]
  for (const [change, message] of cases) {
    const res = await ingest(app, id, [valid, { ...run(2, daysAgo(2), 5), ...change }])
    t.equal(res.statusCode, 400, JSON.stringify(change))
    t.match(res.json().message, message)
  }
  const tooMany = await ingest(app, id, Array.from({ length: 10_001 }, (_, i) => ({ ...valid, id: i + 1 })))
  t.equal(tooMany.statusCode, 400)
  t.match(tooMany.json().message, /activities/)
  t.equal((await app.db.selectFrom('activities').selectAll().execute()).length, 0)
})

t.test('a duplicate activity id in one batch is a 400 naming the id', async t => {
  const app = await build(t)
  const { id } = await createAthlete(app)
  const res = await ingest(app, id, [run(7, daysAgo(3), 5), run(8, daysAgo(2), 5), run(7, daysAgo(1), 5)])
  t.equal(res.statusCode, 400)
  t.match(res.json().message, /activities\/2\/id: activity id 7 appears more than once/)
  t.equal((await app.db.selectFrom('activities').selectAll().execute()).length, 0)
})

t.test('ids up to Number.MAX_SAFE_INTEGER are stored and read back exactly', async t => {
  const app = await build(t)
  const { id } = await createAthlete(app)
  t.equal((await ingest(app, id, [run(Number.MAX_SAFE_INTEGER, daysAgo(1), 5)])).statusCode, 200)
  const list = await app.inject({ url: `/api/athletes/${id}/activities`, headers: adminHeaders })
  t.equal(list.json().activities[0].id, Number.MAX_SAFE_INTEGER)
})

t.test('activities on one day are summed, rest days are zero, and the day is the date of startDateLocal as given', async t => {
  const app = await build(t)
  // An athlete far east of UTC: the local date must not be shifted by any timezone.
  const { id } = await createAthlete(app, { timezone: 'Pacific/Kiritimati' })
  const res = await ingest(app, id, [
    run(1, daysAgo(3), 30, { startDateLocal: `${daysAgo(3)}T23:59:00` }),
    run(2, daysAgo(3), 20, { startDateLocal: `${daysAgo(3)}T00:00:00Z` }),
    run(3, daysAgo(1), 10, { startDateLocal: `${daysAgo(1)}T00:30:00.250` })
  ])
  t.same(res.json(), { upserted: 3, recomputedFrom: daysAgo(3) })
  const days = await readAcwr(app, id, `?from=${daysAgo(10)}&to=${daysAgo(1)}`)
  t.same(days.map(day => [day.date, day.external.load]), [[daysAgo(3), 50], [daysAgo(2), 0], [daysAgo(1), 10]])
  const stored = await app.db.selectFrom('activities').select(['id', 'day', 'start_date_local']).orderBy('id').execute()
  t.same(stored.map(row => row.day), [daysAgo(3), daysAgo(3), daysAgo(1)])
})

t.test('the reply counts written activities and names the earliest day touched, old days included', async t => {
  const app = await build(t)
  const { id } = await createAthlete(app)
  await ingest(app, id, [run(1, daysAgo(9), 5), run(2, daysAgo(5), 5)])
  const again = await ingest(app, id, [run(1, daysAgo(9), 5), run(2, daysAgo(5), 5)])
  t.same(again.json(), { upserted: 0, recomputedFrom: null }, 'an unchanged batch writes and recomputes nothing')
  const moved = await ingest(app, id, [run(1, daysAgo(2), 5)])
  t.same(moved.json(), { upserted: 1, recomputedFrom: daysAgo(9) }, 'moving an activity touches the day it left')
  const days = await readAcwr(app, id)
  t.equal(days[0]!.date, daysAgo(5), 'the series now starts at the new first activity')
  t.equal(days.find(day => day.date === daysAgo(2))!.external.load, 5)
})

t.test('activities are listed newest first with keyset pagination and a day range', async t => {
  const app = await build(t)
  const { id } = await createAthlete(app)
  await ingest(app, id, [run(10, daysAgo(5), 1), run(11, daysAgo(4), 2), run(12, daysAgo(4), 3, { startDateLocal: `${daysAgo(4)}T18:00:00` }), run(13, daysAgo(2), 4), run(14, daysAgo(1), 5)])
  const seen: number[] = []
  let cursor: string | null = null
  let pages = 0
  do {
    const query: string = cursor ? `?limit=2&cursor=${cursor}` : '?limit=2'
    const res = await app.inject({ url: `/api/athletes/${id}/activities${query}`, headers: adminHeaders })
    t.equal(res.statusCode, 200)
    seen.push(...res.json().activities.map((a: { id: number }) => a.id))
    cursor = res.json().nextCursor
    pages++
  } while (cursor)
  t.same(seen, [14, 13, 12, 11, 10])
  t.equal(pages, 3)

  const ranged = await app.inject({ url: `/api/athletes/${id}/activities?from=${daysAgo(4)}&to=${daysAgo(2)}`, headers: adminHeaders })
  t.same(ranged.json().activities.map((a: { id: number }) => a.id), [13, 12, 11])
  t.match(ranged.json().activities[1], {
    id: 12, sportType: 'Run', startDateLocal: `${daysAgo(4)}T18:00:00`, day: daysAgo(4), movingTimeS: 3600, externalLoad: 3, trimp: null, averageHeartrate: null, source: 'api'
  })
  const bad = await app.inject({ url: `/api/athletes/${id}/activities?cursor=nonsense`, headers: adminHeaders })
  t.equal(bad.statusCode, 400)
  t.match(bad.json().message, /cursor/)
})

t.test('a leap second, hour 24 or a year past 9999 in startDateLocal is a 400 naming the field, and nothing is stored', async t => {
  const app = await build(t)
  const { id } = await createAthlete(app)
  for (const startDateLocal of ['2026-06-30T23:59:60', '9999-12-31T23:59:60', '2026-06-30T24:00:00', '10000-01-01T00:00:00', '2026-06-30T23:60:00']) {
    const res = await ingest(app, id, [run(1, '2026-06-30', 5, { startDateLocal })])
    t.equal(res.statusCode, 400, startDateLocal)
    t.match(res.json().message, 'body/activities/0/startDateLocal', startDateLocal)
  }
  t.equal((await app.db.selectFrom('activities').select('id').execute()).length, 0, 'nothing was stored')

  const last = await ingest(app, id, [run(1, '9999-12-31', 5, { startDateLocal: '9999-12-31T23:59:59' }), run(2, '9999-12-31', 5, { startDateLocal: '9999-12-31T23:59:58.5' })])
  t.equal(last.statusCode, 200, 'the last second of 9999 is a valid start')
  const page = await app.inject({ url: `/api/athletes/${id}/activities?limit=1`, headers: adminHeaders })
  t.match(page.json().activities[0], { id: 1, startDateLocal: '9999-12-31T23:59:59', day: '9999-12-31' })
  const next = await app.inject({ url: `/api/athletes/${id}/activities?limit=1&cursor=${page.json().nextCursor}`, headers: adminHeaders })
  t.equal(next.statusCode, 200, 'the cursor handed out after it works')
  t.match(next.json().activities[0], { id: 2, startDateLocal: '9999-12-31T23:59:58.5' })
})

t.test('a crafted list cursor is a 400 naming cursor and never reaches PostgreSQL', async t => {
  const app = await build(t)
  const { id } = await createAthlete(app)
  await ingest(app, id, [run(1, daysAgo(2), 5), run(2, daysAgo(1), 5)])
  let checkouts = 0
  app.pool.on('acquire', () => { checkouts++ })
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const crafted = [
    encode(['2026-02-30T07:00:00', 1]), encode(['9999-12-31T23:59:60', 1]), encode(['2026-06-30T24:00:00', 1]),
    encode(['0000-01-01T00:00:00', 1]), encode(['2026-03-01T07:00:00', 0]), encode(['2026-03-01T07:00:00', 2 ** 63]),
    encode(['2026-03-01T07:00:00', 1, 'extra']), encode({ startDateLocal: '2026-03-01T07:00:00', id: 1 }), encode('text'),
    'bm90IGpzb24', 'AAAA', 'not!base64'
  ]
  for (const cursor of crafted) {
    const res = await app.inject({ url: `/api/athletes/${id}/activities?cursor=${encodeURIComponent(cursor)}`, headers: adminHeaders })
    t.equal(res.statusCode, 400, cursor)
    t.match(res.json().message, /cursor/, cursor)
  }
  t.equal(checkouts, 0, 'no request took a database connection')
  const valid = await app.inject({ url: `/api/athletes/${id}/activities?cursor=${encode([`${daysAgo(1)}T08:00:00`, 2])}`, headers: adminHeaders })
  t.same(valid.json().activities.map((a: { id: number }) => a.id), [1], 'a real cursor still pages')
  t.ok(checkouts > 0, 'and that request did reach the database')
})

t.test('an activity list whose from is after its to is a 400 naming from', async t => {
  const app = await build(t)
  const { id } = await createAthlete(app)
  const res = await app.inject({ url: `/api/athletes/${id}/activities?from=2026-01-10&to=2026-01-01`, headers: adminHeaders })
  t.equal(res.statusCode, 400)
  t.match(res.json().message, /^from: must not be after to/)
})

t.test('deleting an activity is a 204 that recomputes ACWR; an unknown one is a 404', async t => {
  const app = await build(t)
  const { id } = await createAthlete(app)
  await ingest(app, id, [run(1, daysAgo(6), 10), run(2, daysAgo(3), 20)])
  const del = await app.inject({ method: 'DELETE', url: `/api/athletes/${id}/activities/2`, headers: adminHeaders })
  t.equal(del.statusCode, 204)
  const days = await readAcwr(app, id)
  t.equal(days.find(day => day.date === daysAgo(3))!.external.load, 0)
  t.equal(days.at(-1)!.external.acute, 1.429, '10 / 7, rounded to 3 decimals')
  t.equal((await app.inject({ method: 'DELETE', url: `/api/athletes/${id}/activities/2`, headers: adminHeaders })).statusCode, 404)
  await app.inject({ method: 'DELETE', url: `/api/athletes/${id}/activities/1`, headers: adminHeaders })
  t.same(await readAcwr(app, id), [], 'no activity left, no series left')
})

t.test('a failure in the ACWR step after the upsert leaves the database exactly as before', async t => {
  const app = await build(t)
  const { id } = await createAthlete(app)
  await ingest(app, id, [run(1, daysAgo(4), 10)])
  const snapshot = async () => ({
    activities: await app.db.selectFrom('activities').selectAll().orderBy('id').execute(),
    acwr: await app.db.selectFrom('acwr_daily').selectAll().orderBy('day').execute()
  })
  const before = await snapshot()
  // The ACWR statement is the only writer of acwr_daily: make it fail.
  await app.db.executeQuery({
    sql: `create function refuse_acwr() returns trigger language plpgsql as $$ begin raise exception 'injected ACWR failure'; end $$;
      create trigger refuse_acwr before insert or update on acwr_daily for each row execute function refuse_acwr()`,
    parameters: [],
    query: { kind: 'RawNode' } as never,
    queryId: { queryId: 'inject' }
  })
  const res = await ingest(app, id, [run(1, daysAgo(4), 99), run(2, daysAgo(2), 10)])
  t.equal(res.statusCode, 500)
  t.notMatch(res.body, /injected|acwr_daily|insert/i, 'the reply hides internals')
  t.same(await snapshot(), before)
})

t.test("one athlete's ingest changes no other athlete's rows", async t => {
  const app = await build(t)
  const a = await createAthlete(app)
  const b = await createAthlete(app)
  await ingest(app, a.id, [run(1, daysAgo(5), 10)])
  await ingest(app, b.id, [run(1, daysAgo(5), 10)])
  const rowsOf = (athleteId: number) => app.db.selectFrom('acwr_daily').selectAll().where('athlete_id', '=', athleteId).orderBy('day').execute()
  const before = await rowsOf(b.id)
  await ingest(app, a.id, [run(1, daysAgo(5), 30), run(2, daysAgo(3), 10)])
  t.same(await rowsOf(b.id), before, 'values and computed_at unchanged')
  t.equal((await rowsOf(a.id))[0]!.external_load, 30)
})

t.test('concurrent ingests for one athlete leave the series equal to a computation from scratch', async t => {
  const app = await build(t)
  const { id } = await createAthlete(app)
  await ingest(app, id, [run(1, daysAgo(20), 10)])
  const batches = Array.from({ length: 6 }, (_, b) => Array.from({ length: 3 }, (_, i) => run(100 + b * 3 + i, daysAgo(18 - b * 3 - i), 5 + b + i)))
  const replies = await Promise.all(batches.map(batch => ingest(app, id, batch)))
  t.same(replies.map(res => res.statusCode), Array(6).fill(200))
  const concurrent = await app.db.selectFrom('acwr_daily').selectAll().where('athlete_id', '=', id).orderBy('day').execute()
  await app.inject({ method: 'POST', url: '/admin/batch-recalculate-acwr', headers: adminHeaders, payload: { athleteIds: [id] } })
  const scratch = await app.db.selectFrom('acwr_daily').selectAll().where('athlete_id', '=', id).orderBy('day').execute()
  t.equal(concurrent.length, 21)
  const strip = (rows: typeof scratch) => rows.map(({ computed_at: _, ...values }) => values)
  t.same(strip(concurrent), strip(scratch))
})

t.test('the source of an activity is whoever wrote its fields last; the same id from another source is one activity', async t => {
  const app = await build(t)
  const { id } = await createAthlete(app)
  await ingest(app, id, [run(21, daysAgo(2), 10)])
  await app.db.transaction().execute(async trx => ingestActivities(trx, (await lockAthletes(trx, [id]))[0]!, [{ ...run(21, daysAgo(2), 10), name: 'From Strava' }], 'strava'))
  const listed = (await app.inject({ url: `/api/athletes/${id}/activities`, headers: adminHeaders })).json().activities
  t.equal(listed.length, 1)
  t.match(listed[0], { id: 21, name: 'From Strava', source: 'strava' })
})
