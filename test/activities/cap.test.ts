import t from 'tap'
import type { App } from '../../src/app.ts'
import { build } from '../helper.ts'
import { adminHeaders, createAthlete, daysAgo, ingest, run } from '../fixtures.ts'
import { activitiesCsv, usDate, utcDaysAgo } from '../imports/export-fixtures.ts'

const storedIds = (app: App, athleteId: number) =>
  app.db.selectFrom('activities').select('id').where('athlete_id', '=', athleteId).orderBy('id').execute().then(rows => rows.map(row => row.id))

const acwrDays = (app: App, athleteId: number) =>
  app.db.selectFrom('acwr_daily').select('day').where('athlete_id', '=', athleteId).execute().then(rows => rows.length)

t.test('a batch that would take an athlete past MAX_ACTIVITIES_PER_ATHLETE is a 409 saying so, and writes nothing', async t => {
  const app = await build(t, { env: { MAX_ACTIVITIES_PER_ATHLETE: '5' } })
  const athlete = await createAthlete(app)
  const other = await createAthlete(app)
  t.equal((await ingest(app, athlete.id, [1, 2, 3].map(id => run(id, daysAgo(id), 4)))).statusCode, 200)
  const daysBefore = await acwrDays(app, athlete.id)

  const over = await ingest(app, athlete.id, [run(3, daysAgo(3), 9), run(4, daysAgo(10), 4), run(5, daysAgo(11), 4), run(6, daysAgo(12), 4)])
  t.equal(over.statusCode, 409)
  t.match(over.json(), { statusCode: 409, error: 'Conflict', message: /at most 5 activities.*adds 3 new ones to the 3 stored.*nothing was written/ })
  t.same(await storedIds(app, athlete.id), [1, 2, 3], 'no activity of the batch was stored')
  const [three] = await app.db.selectFrom('activities').select('external_load').where('athlete_id', '=', athlete.id).where('id', '=', 3).execute()
  t.equal(Math.round(three!.external_load), 4, 'the update inside the refused batch was undone too')
  t.equal(await acwrDays(app, athlete.id), daysBefore, 'the ACWR series was not extended')

  t.equal((await ingest(app, athlete.id, [run(4, daysAgo(10), 4), run(5, daysAgo(11), 4)])).statusCode, 200, 'up to the cap is fine')
  t.equal((await ingest(app, athlete.id, [run(1, daysAgo(1), 8), run(5, daysAgo(11), 6)])).statusCode, 200, 'at the cap, updates still go through')
  t.equal((await ingest(app, athlete.id, [run(6, daysAgo(12), 4)])).statusCode, 409, 'one more is refused')
  t.equal((await ingest(app, other.id, [1, 2, 3, 4, 5].map(id => run(id, daysAgo(id), 4)))).statusCode, 200, 'the cap is per athlete')
})

t.test('an import that would pass the cap is a 409 and imports nothing', async t => {
  const app = await build(t, { env: { MAX_ACTIVITIES_PER_ATHLETE: '2' } })
  const athlete = await createAthlete(app)
  const csv = activitiesCsv([1, 2, 3].map(id => ({ id, date: usDate(utcDaysAgo(id, 8)), type: 'Run', movingTimeS: 1800, distanceM: 5000 })))
  const res = await app.inject({
    method: 'POST', url: `/api/athletes/${athlete.id}/imports`, headers: { ...adminHeaders, 'content-type': 'text/csv' }, payload: csv
  })
  t.equal(res.statusCode, 409)
  t.match(res.json().message, /at most 2 activities/)
  t.same(await storedIds(app, athlete.id), [])
})
