import t from 'tap'
import type { App } from '../../src/app.ts'
import { build } from '../helper.ts'
import { adminHeaders, bearer, createAthlete, daysAgo, ingest, run } from '../fixtures.ts'

/** Statements run so far that name acwr_daily, from the per-fingerprint counter in /metrics. */
async function acwrStatements (app: App): Promise<number> {
  const res = await app.inject({ url: '/metrics', headers: adminHeaders })
  return res.body.split('\n')
    .filter(line => line.startsWith('trainload_db_statements_total{') && line.includes('acwr_daily'))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0)
}

const storedUpdatedAt = (app: App, id: number) =>
  app.db.selectFrom('athletes').select('updated_at').where('id', '=', id).executeTakeFirstOrThrow().then(row => row.updated_at.toISOString())

t.test('a PATCH /settings that changes nothing returns the athlete without writing or recomputing', async t => {
  const app = await build(t)
  const athlete = await createAthlete(app, { sex: 'F', restingHr: 48, maxHr: 188, timezone: 'Europe/Paris' })
  t.equal((await ingest(app, athlete.id, [run(1, daysAgo(3), 5), run(2, daysAgo(1), 7)])).statusCode, 200)
  const patch = (payload: Record<string, unknown>) =>
    app.inject({ method: 'PATCH', url: `/api/athletes/${athlete.id}/settings`, headers: bearer(athlete.apiKey), payload })
  const changed = await patch({ acwrModel: 'ewma', acuteDays: 6, chronicDays: 30, decayRate: 0.07, ctlDays: 40, atlDays: 8 })
  t.equal(changed.statusCode, 200)
  const view = changed.json()

  const updatedAt = await storedUpdatedAt(app, athlete.id)
  const acwrBefore = await acwrStatements(app)
  const everyCurrentValue = {
    ...view.settings, restingHr: view.restingHr, maxHr: view.maxHr, sex: view.sex, timezone: view.timezone
  }
  for (const payload of [{}, everyCurrentValue, { ctlDays: 40, atlDays: 8 }, { decayRate: 0.07 }, { sex: 'F', maxHr: 188 }]) {
    const res = await patch(payload)
    t.equal(res.statusCode, 200, JSON.stringify(payload))
    t.same(res.json(), view, `${JSON.stringify(payload)}: the athlete as stored`)
  }
  t.equal(await acwrStatements(app), acwrBefore, 'no statement touched acwr_daily')
  t.equal(await storedUpdatedAt(app, athlete.id), updatedAt, 'the athlete row was not rewritten')

  t.equal((await patch({ acuteDays: 7 })).statusCode, 200)
  t.ok(await acwrStatements(app) > acwrBefore, 'a real change does recompute (the counter sees it)')
})

t.test('a no-op PATCH is still validated: bounds and unknown athletes', async t => {
  const app = await build(t)
  const athlete = await createAthlete(app)
  const patch = (id: number, payload: Record<string, unknown>) =>
    app.inject({ method: 'PATCH', url: `/api/athletes/${id}/settings`, headers: adminHeaders, payload })
  t.equal((await patch(athlete.id, { chronicDays: 28, acuteDays: 7 })).statusCode, 200)
  t.equal((await patch(athlete.id, { chronicDays: 20, acuteDays: 14 })).statusCode, 400, 'a merged setting out of bounds is still a 400')
  t.equal((await patch(999_999, {})).statusCode, 404)
})
