import t from 'tap'
import { sqlFingerprint } from '../../src/db/instrumentation.ts'
import { PoolStatistics, RecentSamples, SlowestStatements } from '../../src/db/pool-statistics.ts'

t.test('a fingerprint strips parameters and literals and folds whitespace', async t => {
  t.equal(
    sqlFingerprint("select *\n  from \"athletes\"\n where id = $1 and name = 'O''Brien' and max_hr > 180"),
    'select * from "athletes" where id = ? and name = ? and max_hr > ?'
  )
})

t.test('queries that differ only in how many values they carry share one fingerprint', async t => {
  const inList = (n: number) => `select 1 from activities where id in (${Array.from({ length: n }, (_, i) => `$${i + 1}`).join(', ')})`
  t.equal(sqlFingerprint(inList(1)), sqlFingerprint('select 1 from activities where id in ($1)'))
  t.equal(sqlFingerprint(inList(3)), sqlFingerprint(inList(500)))
  const rows = (n: number) => 'insert into "athletes" ("name", "sex") values ' +
    Array.from({ length: n }, (_, i) => `($${2 * i + 1}, $${2 * i + 2})`).join(', ')
  t.equal(sqlFingerprint(rows(2)), sqlFingerprint(rows(1000)))
  t.equal(sqlFingerprint(rows(2)), 'insert into "athletes" ("name", "sex") values (?, ...), ...')
})

t.test('a statement seen again gets the same fingerprint, and so does every text past the cache bound', async t => {
  const statement = "select * from activities where athlete_id = $1 and source = 'strava'"
  t.equal(sqlFingerprint(statement), 'select * from activities where athlete_id = ? and source = ?')
  t.equal(sqlFingerprint(statement), 'select * from activities where athlete_id = ? and source = ?')
  // About 5 MB of texts that differ only in a long literal: more than the cache keeps.
  const filler = 'x'.repeat(50_000)
  const fingerprints = new Set(Array.from({ length: 100 }, (_, i) => sqlFingerprint(`select '${filler}${i}' as padding`)))
  t.same([...fingerprints], ['select ? as padding'])
  t.equal(sqlFingerprint(statement), 'select * from activities where athlete_id = ? and source = ?')
})

t.test('recent samples keep a fixed number of values and give nearest-rank percentiles', async t => {
  const samples = new RecentSamples(100)
  t.equal(samples.percentile(95), 0, 'no samples reads as 0')
  for (let i = 1; i <= 100; i++) samples.add(i)
  t.equal(samples.percentile(50), 50)
  t.equal(samples.percentile(95), 95)
  for (let i = 0; i < 100; i++) samples.add(1000)
  t.equal(samples.percentile(50), 1000, 'older samples were overwritten')
})

t.test('the slowest list keeps the worst duration of at most its limit of statements', async t => {
  const slowest = new SlowestStatements(3)
  slowest.add('a', 5)
  slowest.add('b', 50)
  slowest.add('a', 7)
  slowest.add('c', 1)
  slowest.add('d', 10)
  slowest.add('e', 0.5)
  t.same(slowest.list(), [{ sqlFingerprint: 'b', ms: 50 }, { sqlFingerprint: 'd', ms: 10 }, { sqlFingerprint: 'a', ms: 7 }])
})

t.test('the pool aggregate counts queries, failed checkouts and waits', async t => {
  const stats = new PoolStatistics()
  stats.connectionAcquired(2)
  stats.acquireFailed(300)
  stats.poolError()
  stats.queryExecuted('select ?', 4, false)
  stats.queryExecuted('select ?', 8, true)
  t.same(stats.acquireWaitMs(), { p50: 2, p95: 300, max: 300 })
  t.equal(stats.errors, 2)
  t.same(stats.queries(), { count: 2, avgMs: 6, p95Ms: 8, slowest: [{ sqlFingerprint: 'select ?', ms: 8 }] })
  t.ok(stats.succeededWithin(1000))
})
