import t from 'tap'
import { build } from '../helper.ts'
import { createAthlete, daysAgo, ingest, readAcwr, run } from '../fixtures.ts'
import { up } from '../../db/migrations/20261202160000_sport_load_rules.ts'

t.test('the sport-rules migration rewrites stored loads by the new rules and rebuilds the series they changed', async t => {
  const app = await build(t)
  const paddler = await createAthlete(app)
  const runner = await createAthlete(app)
  const kayak = { id: 11, sportType: 'Kayaking', startDateLocal: `${daysAgo(3)}T08:00:00`, movingTimeS: 5 * 3600, distanceM: 40000 }
  await ingest(app, paddler.id, [run(10, daysAgo(5), 6), kayak])
  await ingest(app, runner.id, [run(20, daysAgo(5), 6)])
  // As the old rules stored it: the kayak scored as a 40 km run, and its series built on that.
  await app.db.updateTable('activities').set({ external_load: 24.85 }).where('athlete_id', '=', paddler.id).where('id', '=', 11).execute()
  await app.db.updateTable('acwr_daily').set({ external_load: 24.85 }).where('athlete_id', '=', paddler.id).where('day', '=', daysAgo(3)).execute()
  const runnerRows = await app.db.selectFrom('acwr_daily').select(['day', 'computed_at']).where('athlete_id', '=', runner.id).execute()

  await app.db.transaction().execute(trx => up(trx))

  const loads = await app.db.selectFrom('activities').select(['id', 'external_load']).where('athlete_id', '=', paddler.id).orderBy('id').execute()
  t.same(loads, [{ id: 10, external_load: 6 }, { id: 11, external_load: 9 }], 'the kayak is 5 h × 6 × 0.30 = 9, the run unchanged')
  const paddlerRows = await app.db.selectFrom('acwr_daily').select('day').where('athlete_id', '=', paddler.id).execute()
  t.equal(paddlerRows.length, 0, 'the series built on the old load is gone')
  t.same(await app.db.selectFrom('acwr_daily').select(['day', 'computed_at']).where('athlete_id', '=', runner.id).execute(), runnerRows,
    'a series whose loads did not change is left as it was')

  const days = await readAcwr(app, paddler.id)
  t.equal(days.find(day => day.date === daysAgo(3))!.external.load, 9, 'the next read rebuilds the series on the new load')
  t.equal(days.length, 6)
})
