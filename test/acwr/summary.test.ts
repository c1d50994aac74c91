import t from 'tap'
import { summarizeAcwr } from '../../src/acwr/summary.ts'
import { build } from '../helper.ts'

const ACWR_ZERO = { external_load: 0, internal_load: 0, external_acute: 0, external_chronic: 0, internal_acute: 0, internal_chronic: 0, internal_coverage: 1, complete: false }
const PMC_ZERO = { external_ctl: 0, external_atl: 0, external_tsb: 0, internal_ctl: 0, internal_atl: 0, internal_tsb: 0 }
const zeroDay = { ...ACWR_ZERO, ...PMC_ZERO }

t.test('athletes with activities are counted, and stale when their series stops before today', async t => {
  const app = await build(t)
  const [current, stale, never] = (await app.db.insertInto('athletes')
    .values([{ timezone: 'Pacific/Kiritimati' }, {}, {}, {}]).returning('id').execute()).map(r => r.id)
  const activity = (athleteId: number, id: number) => ({
    athlete_id: athleteId, id, day: '2026-01-01', start_date_local: '2026-01-01 08:00:00', sport_type: 'Run', moving_time_s: 1800, external_load: 3, trimp: 20
  })
  await app.db.insertInto('activities').values([activity(current!, 1), activity(stale!, 2), activity(never!, 3)]).execute()
  await app.db.insertInto('acwr_daily').values([
    { athlete_id: current!, day: '2099-01-01', ...zeroDay },
    { athlete_id: stale!, day: '2026-01-01', ...zeroDay }
  ]).execute()

  const summary = await summarizeAcwr(app.db)
  t.equal(summary.athletes, 3, 'the athlete without activities is not counted')
  t.equal(summary.athletesStale, 2, 'one series ends in the past, one was never computed')
  t.type(summary.lastRecalculatedAt, 'string')
  t.ok(Date.now() - Date.parse(summary.lastRecalculatedAt!) < 60_000)
})
