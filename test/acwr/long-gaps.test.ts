import t from 'tap'
import { build } from '../helper.ts'
import { adminHeaders, createAthlete, daysAgo, ingest, readAcwr, run, setSettings } from '../fixtures.ts'
import { externalLoad, trimp } from '../../src/activities/loads.ts'
import { ACWR_MODELS } from '../../src/acwr/models.ts'
import { referenceSeries, type ReferenceSettings } from './reference.ts'

// Every model at every window bound, over histories with breaks of several years: a
// recurrence that decays for that long leaves the range of normal doubles (an EWMA with a
// 3-day acute window does so after about 1,020 days), and every read and recompute must
// still answer, with the values of the plain reference implementation.

const WINDOWS = [
  { acuteDays: 3, chronicDays: 14, decayRate: 0.2 },
  { acuteDays: 3, chronicDays: 90, decayRate: 0.01 },
  { acuteDays: 14, chronicDays: 28, decayRate: 0.01 },
  { acuteDays: 14, chronicDays: 90, decayRate: 0.2 }
]

/** First day 2,400 days ago; loads 2,400 and 1,200 days ago, then today: two breaks of over three years. */
const HISTORY_DAYS = 2401
const ACTIVE_DAYS_AGO = [2400, 2399, 1200, 0]
const heartRate = (index: number) => 140 + 5 * index
const history = () => ACTIVE_DAYS_AGO.map((ago, i) => run(i + 1, daysAgo(ago), 5 + i, { averageHeartrate: heartRate(i) }))

function expectedSeries (settings: ReferenceSettings) {
  const external = Array<number>(HISTORY_DAYS).fill(0)
  const internal = Array<number>(HISTORY_DAYS).fill(0)
  for (const activity of history()) {
    const day = HISTORY_DAYS - 1 - ACTIVE_DAYS_AGO[activity.id - 1]!
    external[day]! += externalLoad(activity)
    internal[day]! += trimp(activity.movingTimeS, heartRate(activity.id - 1), { sex: null, restingHr: null, maxHr: null })!
  }
  return { external: referenceSeries(external, settings), internal: referenceSeries(internal, settings, 'internal') }
}

const near = (actual: number | null, expected: number | null) =>
  actual === expected || (actual !== null && expected !== null && Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)))

t.test('every model at every window bound computes through breaks of several years, as the reference does', async t => {
  const app = await build(t)
  const athletes: Array<{ id: number, settings: ReferenceSettings }> = []
  for (const model of ACWR_MODELS) {
    for (const window of WINDOWS) {
      const { id } = await createAthlete(app)
      await setSettings(app, id, { acwrModel: model, ...window })
      const res = await ingest(app, id, history())
      t.equal(res.statusCode, 200, `${model} ${JSON.stringify(window)}: the ingest succeeds`)
      athletes.push({ id, settings: { model, ...window } })
    }
  }

  for (const { id, settings } of athletes) {
    const label = `${settings.model} ${settings.acuteDays}/${settings.chronicDays}/${settings.decayRate}`
    t.equal((await readAcwr(app, id, `?from=${daysAgo(HISTORY_DAYS - 1)}`)).length, HISTORY_DAYS, `${label}: one entry per day`)
    // Full precision is compared where it is kept: the reply rounds (docs/api.md).
    const days = (await app.db.selectFrom('acwr_daily').selectAll().where('athlete_id', '=', id).orderBy('day').execute())
      .map(row => ({
        date: row.day,
        external: { acute: row.external_acute, chronic: row.external_chronic, ratio: row.external_ratio },
        internal: { acute: row.internal_acute, chronic: row.internal_chronic, ratio: row.internal_ratio }
      }))
    const expected = expectedSeries(settings)
    const mismatch = days.findIndex((day, i) => {
      const e = expected.external[i]!
      const n = expected.internal[i]!
      return !(near(day.external.acute, e.acute) && near(day.external.chronic, e.chronic) && near(day.external.ratio, e.ratio) &&
        near(day.internal.acute, n.acute) && near(day.internal.chronic, n.chronic) && near(day.internal.ratio, n.ratio))
    })
    t.equal(mismatch, -1, `${label}: every day matches the reference${mismatch >= 0 ? ` (first difference on ${days[mismatch]!.date})` : ''}`)
    const latest = await app.inject({ url: `/api/athletes/${id}/acwr/latest`, headers: adminHeaders })
    t.equal(latest.statusCode, 200, `${label}: the latest reading answers`)
  }

  const recompute = await app.inject({ method: 'POST', url: '/admin/batch-recalculate-acwr', headers: adminHeaders, payload: {} })
  t.equal(recompute.statusCode, 200)
  t.match(recompute.json(), { athletes: athletes.length, failed: 0, failedAthleteIds: [] }, 'a fleet recompute computes every athlete')
  await app.db.deleteFrom('acwr_daily').where('day', '>', daysAgo(1500)).execute()
  const rolled = await app.inject({ method: 'POST', url: '/admin/batch-recalculate-acwr', headers: adminHeaders })
  t.match(rolled.json(), { athletes: athletes.length, days: athletes.length * 1500, failed: 0 }, 'a roll-forward through the break computes every athlete')
})
