import t from 'tap'
import { build } from '../helper.ts'
import { adminHeaders, bearer, createAthlete, daysAgo, ingest, readAcwr, run } from '../fixtures.ts'

t.test('PUT /admin/athletes inserts and updates by Strava athlete id, keeping omitted fields', async t => {
  const app = await build(t)
  const put = (athletes: unknown[]) => app.inject({ method: 'PUT', url: '/admin/athletes', headers: adminHeaders, payload: { athletes } })
  const first = await put([{ stravaAthleteId: 11, name: 'Ann', sex: 'F', restingHr: 50, timezone: 'Europe/Paris' }, { stravaAthleteId: 12 }])
  t.equal(first.statusCode, 200)
  const [ann, bob] = first.json().athletes
  t.same(first.json().athletes.map((a: { stravaAthleteId: number }) => a.stravaAthleteId), [11, 12])

  const second = await put([{ stravaAthleteId: 12, name: 'Bob' }, { stravaAthleteId: 11, maxHr: 190 }, { stravaAthleteId: 13 }])
  t.equal(second.statusCode, 200)
  t.same(second.json().athletes.slice(0, 2), [{ id: bob.id, stravaAthleteId: 12 }, { id: ann.id, stravaAthleteId: 11 }], 'ids in body order')
  const res = await app.inject({ url: `/api/athletes/${ann.id}`, headers: adminHeaders })
  t.same(res.json(), {
    id: ann.id,
    stravaAthleteId: 11,
    name: 'Ann',
    sex: 'F',
    restingHr: 50,
    maxHr: 190,
    timezone: 'Europe/Paris',
    settings: { acwrModel: 'rolling', acuteDays: 7, chronicDays: 28, decayRate: 0.05, ctlDays: 42, atlDays: 7 }
  })
  t.equal(await app.db.selectFrom('athletes').select(eb => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow().then(r => Number(r.n)), 3)
})

t.test('PUT /admin/athletes rejects duplicates, unknown timezones and bad fields with a 400 naming them', async t => {
  const app = await build(t)
  const put = (athletes: unknown[]) => app.inject({ method: 'PUT', url: '/admin/athletes', headers: adminHeaders, payload: { athletes } })
  const cases: Array<[unknown[], RegExp]> = [
    [[{ stravaAthleteId: 5 }, { stravaAthleteId: 5 }], /athletes\/1\/stravaAthleteId: 5/],
    [[{ stravaAthleteId: 5, timezone: 'Mars/Olympus' }], /timezone: "Mars\/Olympus"/],
    [[{ stravaAthleteId: 5, restingHr: 300 }], /restingHr/],
    [[{ stravaAthleteId: 5, sex: 'X' }], /sex/],
    [[{ stravaAthleteId: 5, nickname: 'x' }], /nickname|additional/],
    [[{ stravaAthleteId: '5' }], /stravaAthleteId/],
    [[{ stravaAthleteId: 5, restingHr: 100, maxHr: 100 }], /maxHr/]
  ]
  for (const [athletes, message] of cases) {
    const res = await put(athletes)
    t.equal(res.statusCode, 400, JSON.stringify(athletes))
    t.match(res.json().message, message)
  }
  t.equal((await app.db.selectFrom('athletes').selectAll().execute()).length, 0, 'nothing was written')
})

t.test('API keys: issued by admins with 201, A\'s key on B is 403, unknown athletes are 404', async t => {
  const app = await build(t)
  const a = await createAthlete(app)
  const b = await createAthlete(app)
  t.match(a.apiKey, /^tl_/)
  t.equal((await app.inject({ url: `/api/athletes/${a.id}`, headers: bearer(a.apiKey) })).statusCode, 200)
  t.equal((await app.inject({ url: `/api/athletes/${b.id}`, headers: bearer(a.apiKey) })).statusCode, 403)
  t.equal((await app.inject({ method: 'PUT', url: `/api/athletes/${b.id}/activities`, headers: bearer(a.apiKey), payload: { activities: [] } })).statusCode, 403)
  t.equal((await app.inject({ url: `/api/athletes/${b.id}/acwr`, headers: bearer(a.apiKey) })).statusCode, 403)
  t.equal((await app.inject({ method: 'POST', url: `/admin/athletes/${a.id}/api-keys`, headers: bearer(a.apiKey) })).statusCode, 403, 'an athlete key cannot issue keys')
  const missing = await app.inject({ method: 'POST', url: '/admin/athletes/999999/api-keys', headers: adminHeaders })
  t.equal(missing.statusCode, 404)
  t.equal((await app.inject({ url: '/api/athletes/999999', headers: adminHeaders })).statusCode, 404)
})

t.test('PATCH settings validates bounds and combinations, naming the field', async t => {
  const app = await build(t)
  const { id } = await createAthlete(app, { restingHr: 60 })
  const patch = (payload: Record<string, unknown>) => app.inject({ method: 'PATCH', url: `/api/athletes/${id}/settings`, headers: adminHeaders, payload })
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ acuteDays: 2 }, /acuteDays/],
    [{ acuteDays: 15 }, /acuteDays/],
    [{ chronicDays: 91 }, /chronicDays/],
    [{ acuteDays: 10, chronicDays: 19 }, /chronicDays: must be at least 2 × acuteDays/],
    [{ decayRate: 0.5 }, /decayRate/],
    [{ acwrModel: 'median' }, /acwrModel/],
    [{ timezone: 'Nowhere/City' }, /timezone/],
    [{ maxHr: 110, restingHr: 115 }, /maxHr/],
    [{ acuteDays: '7' }, /acuteDays/],
    [{ ctlDays: 6 }, /ctlDays/],
    [{ ctlDays: 121 }, /ctlDays/],
    [{ atlDays: 1 }, /atlDays/],
    [{ atlDays: 29 }, /atlDays/],
    [{ ctlDays: 7 }, /^ctlDays: must be more than atlDays \(7\)/],
    [{ atlDays: 20, ctlDays: 14 }, /^atlDays: must be less than ctlDays \(14\)/]
  ]
  for (const [payload, message] of cases) {
    const res = await patch(payload)
    t.equal(res.statusCode, 400, JSON.stringify(payload))
    t.match(res.json().message, message)
  }
  const ok = await patch({ acwrModel: 'decay', decayRate: 0.1, timezone: 'America/New_York', restingHr: null })
  t.equal(ok.statusCode, 200)
  t.match(ok.json(), { restingHr: null, timezone: 'America/New_York', settings: { acwrModel: 'decay', decayRate: 0.1, acuteDays: 7 } })
})

t.test('a heart-rate change rewrites TRIMP and the internal ACWR in the same request', async t => {
  const app = await build(t)
  const { id } = await createAthlete(app, { sex: 'M', restingHr: 60, maxHr: 190 })
  await ingest(app, id, [run(1, daysAgo(1), 10, { movingTimeS: 2700, averageHeartrate: 150 })])
  t.equal(Number((await readAcwr(app, id))[0]!.internal.load!.toFixed(2)), 75.33)
  await app.inject({ method: 'PATCH', url: `/api/athletes/${id}/settings`, headers: adminHeaders, payload: { sex: 'F' } })
  t.equal(Number((await readAcwr(app, id))[0]!.internal.load!.toFixed(2)), 85.14)
  const [activity] = (await app.inject({ url: `/api/athletes/${id}/activities`, headers: adminHeaders })).json().activities
  t.equal(Number(activity.trimp.toFixed(2)), 85.14)
})
