import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { sql } from 'kysely'
import { build } from '../helper.ts'
import { adminHeaders, createAthlete, daysAgo, ingest, run } from '../fixtures.ts'
import { runCli } from '../cli/run-cli.ts'
import type { App } from '../../src/app.ts'
import type { Transaction } from 'kysely'
import { recalculateAcwr } from '../../src/acwr/recalculate.ts'
import type { Database } from '../../src/db/database.ts'
import type { DB } from '../../src/db/types.ts'

/**
 * Five athletes with ten days of history each, whose series then lose their last three days;
 * from then on, any write of the second athlete's ACWR rows fails, as a statement that cannot
 * compute their series would.
 */
async function fleetWithOneBrokenAthlete (app: App): Promise<{ ids: number[], broken: number }> {
  const ids: number[] = []
  for (let i = 0; i < 5; i++) {
    const { id } = await createAthlete(app)
    await ingest(app, id, [run(1, daysAgo(9), 10 + i)])
    ids.push(id)
  }
  const broken = ids[1]!
  // The trigger comes first: a scheduled roll-forward between the delete and the trigger
  // would bring the broken athlete up to date, and no later round would fail for them.
  await sql`
    create function fail_one_athlete() returns trigger language plpgsql as $$
    begin
      if new.athlete_id = ${sql.lit(broken)} then raise exception 'this athlete cannot be computed'; end if;
      return new;
    end $$;
    create trigger fail_one_athlete before insert or update on acwr_daily for each row execute function fail_one_athlete();
  `.execute(app.db)
  await app.db.deleteFrom('acwr_daily').where('day', '>', daysAgo(3)).execute()
  return { ids, broken }
}

const lastDays = async (app: App) => {
  const rows = await app.db.selectFrom('acwr_daily').select(['athlete_id', eb => eb.fn.max('day').as('last')]).groupBy('athlete_id').execute()
  return new Map(rows.map(row => [row.athlete_id, row.last]))
}

t.test('a batch recompute names the athlete it could not compute and computes every other one', async t => {
  const app = await build(t, { env: { ACWR_BATCH_ATHLETES: '3' } })
  const { ids, broken } = await fleetWithOneBrokenAthlete(app)
  const res = await app.inject({ method: 'POST', url: '/admin/batch-recalculate-acwr', headers: adminHeaders })
  t.equal(res.statusCode, 200)
  t.match(res.json(), { athletes: 5, days: 12, failed: 1, failedAthleteIds: [broken] })
  const last = await lastDays(app)
  for (const id of ids) t.equal(last.get(id), id === broken ? daysAgo(3) : daysAgo(0), `athlete ${id}`)

  const full = await app.inject({ method: 'POST', url: '/admin/batch-recalculate-acwr', headers: adminHeaders, payload: { from: daysAgo(5) } })
  t.match(full.json(), { athletes: 5, failed: 1, failedAthleteIds: [broken] }, 'a recompute from a day isolates it too')
})

t.test('acwr recalc names the athlete it could not compute, computes the rest and exits 1', async t => {
  const app = await build(t)
  const { ids, broken } = await fleetWithOneBrokenAthlete(app)
  const result = await runCli(t, app.databaseUrl, ['acwr', 'recalc', '--json'])
  t.equal(result.code, 1)
  t.match(JSON.parse(result.stdout), { athletes: 5, failed: 1, failedAthleteIds: [broken] })
  t.match(result.stderr, new RegExp(`athlete ${broken}: this athlete cannot be computed`))
  const last = await lastDays(app)
  t.same(ids.filter(id => last.get(id) === daysAgo(0)), ids.filter(id => id !== broken))
})

t.test('the roll-forward schedule extends every other athlete and logs the one it could not compute', async t => {
  const lines: string[] = []
  const app = await build(t, { env: { ACWR_ROLL_FORWARD_INTERVAL_S: '1' }, onLog: line => lines.push(line) })
  const { ids, broken } = await fleetWithOneBrokenAthlete(app)
  // The schedule runs every second; on a loaded machine a round can take longer, so wait for
  // the first round that saw the whole fleet (bounded by the test's timeout), not a fixed time.
  const fleetRound = (line: string) => line.includes('"msg":"ACWR rolled forward"') && line.includes(`"failedAthleteIds":[${broken}]`)
  while (!lines.some(fleetRound)) await sleep(100)
  const last = await lastDays(app)
  t.same(ids.filter(id => last.get(id) === daysAgo(0)), ids.filter(id => id !== broken))
  const failure = lines.map(line => JSON.parse(line)).find(entry => entry.msg === 'ACWR roll-forward failed for one athlete')
  t.equal(failure?.athleteId, broken)
})

/** `db`, counting how many of its transactions are open at once. */
function countingTransactions (db: Database) {
  const counts = { open: 0, most: 0, total: 0 }
  const counted = new Proxy(db, {
    get (target, property) {
      if (property === 'transaction') {
        return () => {
          const builder = target.transaction()
          return {
            execute: async <T>(work: (trx: Transaction<DB>) => Promise<T>) => {
              counts.total++
              counts.most = Math.max(counts.most, ++counts.open)
              try { return await builder.execute(work) } finally { counts.open-- }
            }
          }
        }
      }
      const value = Reflect.get(target, property, target)
      return typeof value === 'function' ? value.bind(target) : value
    }
  })
  return { db: counted, counts }
}

t.test('a fleet recompute keeps as many batches in flight as its concurrency, and still isolates the athlete it could not compute', async t => {
  const app = await build(t)
  const { ids, broken } = await fleetWithOneBrokenAthlete(app)
  for (const concurrency of [1, 2]) {
    const { db, counts } = countingTransactions(app.db)
    const result = await recalculateAcwr(db, { from: null, batchSize: 1, concurrency })
    t.match(result, { athletes: 5, failed: 1, failedAthleteIds: [broken] }, `concurrency ${concurrency}`)
    t.equal(counts.most, concurrency, `at most ${concurrency} batch transactions open at once, and that many were`)
    t.equal(counts.total, 5, 'one transaction per batch of one athlete')
    const last = await lastDays(app)
    for (const id of ids) t.equal(last.get(id), id === broken ? daysAgo(3) : daysAgo(0), `athlete ${id}`)
  }
})

t.test('the recompute route runs batches concurrently as configured and names the athlete it could not compute', async t => {
  const app = await build(t, { env: { ACWR_BATCH_ATHLETES: '1', ACWR_RECOMPUTE_CONCURRENCY: '3' } })
  const { ids, broken } = await fleetWithOneBrokenAthlete(app)
  const res = await app.inject({ method: 'POST', url: '/admin/batch-recalculate-acwr', headers: adminHeaders, payload: {} })
  t.equal(res.statusCode, 200)
  t.match(res.json(), { athletes: 5, failed: 1, failedAthleteIds: [broken] })
  const last = await lastDays(app)
  for (const id of ids) t.equal(last.get(id), id === broken ? daysAgo(3) : daysAgo(0), `athlete ${id}`)
})

t.test('a roll-forward recompute rebuilds, identically, the series a migration removed, and leaves the others untouched', async t => {
  const app = await build(t)
  const ids: number[] = []
  for (let i = 0; i < 3; i++) {
    const { id } = await createAthlete(app)
    await ingest(app, id, [run(1, daysAgo(40), 6 + i, { averageHeartrate: 150 }), run(2, daysAgo(12), 9), run(3, daysAgo(2), 4 + i)])
    ids.push(id)
  }
  // Every column but when it was computed.
  const series = async () => (await app.db.selectFrom('acwr_daily').selectAll().orderBy('athlete_id').orderBy('day').execute())
    .map(({ computed_at: _computedAt, ...row }) => row)
  const before = await series()
  const [removed, kept] = [ids.slice(0, 2), ids[2]!]
  const keptBefore = await app.db.selectFrom('acwr_daily').select(['day', 'xmin' as never]).where('athlete_id', '=', kept).execute()
  // What a migration that changes the load rules does to the athletes it touches.
  await app.db.deleteFrom('acwr_daily').where('athlete_id', 'in', removed).execute()

  const result = await recalculateAcwr(app.db, { from: 'roll-forward', batchSize: 2, concurrency: 2 })
  t.equal(result.failed, 0)
  t.same(await series(), before, 'every row is back, with the values it had')
  const keptAfter = await app.db.selectFrom('acwr_daily').select(['day', 'xmin' as never]).where('athlete_id', '=', kept).execute()
  t.same(keptAfter, keptBefore, 'the current series was not rewritten (same row versions)')
})
