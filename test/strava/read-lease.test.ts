import t from 'tap'
import type { App } from '../../src/app.ts'
import { ReadLease, readBudgetStatus } from '../../src/strava/budget.ts'
import { build } from '../helper.ts'

const RESERVE = 0.1

/** Read limits of `per15min` and ten times that a day (overall twice each), nothing used yet. */
async function budgetOf (app: App, per15min: number): Promise<void> {
  await app.db.updateTable('strava_rate_budget').set({
    read_limit_15min: per15min,
    read_limit_daily: 10 * per15min,
    overall_limit_15min: 2 * per15min,
    overall_limit_daily: 20 * per15min,
    read_used_15min: 0,
    read_used_daily: 0,
    overall_used_15min: 0,
    overall_used_daily: 0
  }).execute()
}

const used = async (app: App, at: Date) => {
  const { read15min, readDaily } = await readBudgetStatus(app.db, at)
  return [read15min.used, readDaily.used]
}

t.test('a lease takes the reads its job expects in one statement, and hands back the ones it did not use', async t => {
  const app = await build(t)
  await budgetOf(app, 100_000)
  const at = new Date('2026-03-02T10:07:30Z')
  const lease = new ReadLease(app.db, RESERVE, () => at, 7)
  const first = await lease.take()
  t.match(first, { granted: true, reads: 7 }, 'the first take holds all seven')
  t.same(await used(app, at), [7, 7], 'counted in both windows at once')
  for (let call = 0; call < 4; call++) t.match(await lease.take(), { granted: true, reads: 1 })
  t.same(await used(app, at), [7, 7], 'the next four calls took theirs from the lease, with no statement')
  await lease.release()
  t.same(await used(app, at), [5, 5], 'the two it never used were handed back')
  await lease.release()
  t.same(await used(app, at), [5, 5], 'a second release hands back nothing more')
})

t.test('a job that needs more than it expected takes again, for the rest it still expects', async t => {
  const app = await build(t)
  await budgetOf(app, 100_000)
  const at = new Date('2026-03-02T10:07:30Z')
  const lease = new ReadLease(app.db, RESERVE, () => at, 3)
  for (let call = 0; call < 5; call++) t.match(await lease.take(), { granted: true })
  t.same(await used(app, at), [5, 5], 'three ahead, then one take per call past them')
  await lease.release()
  t.same(await used(app, at), [5, 5])
})

t.test('near the limit a take holds at most a hundredth of the room left, and never passes the limit', async t => {
  const app = await build(t)
  await budgetOf(app, 500)
  const at = new Date('2026-03-02T10:07:30Z')
  // 450 usable: a lease may hold 4 of them.
  const a = new ReadLease(app.db, RESERVE, () => at, 20)
  t.match(await a.take(), { granted: true, reads: 4 })
  await a.release()
  await app.db.updateTable('strava_rate_budget').set({ read_used_15min: 447, window_15min_start: '2026-03-02T10:00:00Z', window_day: '2026-03-02' }).execute()
  const b = new ReadLease(app.db, RESERVE, () => at, 20)
  const grants = []
  for (let call = 0; call < 4; call++) grants.push(await b.take())
  t.match(grants, [{ granted: true, reads: 1 }, { granted: true, reads: 1 }, { granted: true, reads: 1 },
    { granted: false, retryAt: new Date('2026-03-02T10:15:00Z') }], 'one read at a time for the last three, then a refusal until the next quarter')
  t.same((await used(app, at))[0], 450, 'exactly the usable 450 taken')
})

t.test('reads held when the quarter hour ends are handed back to the day, and the next call takes in the new window', async t => {
  const app = await build(t)
  await budgetOf(app, 100_000)
  let clock = new Date('2026-03-02T10:14:50Z')
  const lease = new ReadLease(app.db, RESERVE, () => clock, 6)
  t.match(await lease.take(), { granted: true, reads: 6, window: new Date('2026-03-02T10:00:00Z') })
  clock = new Date('2026-03-02T10:15:05Z')
  t.match(await lease.take(), { granted: true, reads: 5, window: new Date('2026-03-02T10:15:00Z') }, 'the five still expected, in the new window')
  t.same(await used(app, clock), [5, 6], 'the day counts the one call of the old window and the five new reads')
  await lease.release()
  t.same(await used(app, clock), [1, 2], 'two calls in all, one in each window')
})
