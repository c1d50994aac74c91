import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { listBenchDatabases } from '../../bench/database.ts'
import { alternate, median, notRun, percentile, type Suite } from '../../bench/harness.ts'
import { formatTable, writeReport } from '../../bench/report.ts'
import { runBenchmarks } from '../../bench/runner.ts'
import { poolSuite } from '../../bench/suites/pool.ts'
import { tokensSuite } from '../../bench/suites/tokens.ts'

function testServerUrl (): string {
  const url = process.env.TRAINLOAD_TEST_SERVER_URL
  if (!url) throw new Error('Run the tests with `npm test`, which prepares the test database server.')
  return url
}

const failingSuite: Suite = {
  name: 'failing',
  summary: 'throws after its database was created',
  run: async () => { throw new Error('the suite broke') }
}

const absentSuite: Suite = {
  name: 'absent',
  summary: 'reports a case it cannot run',
  run: async () => [notRun('needs a missing route', 'not run: GET /nowhere is not implemented yet')]
}

t.test('alternate measures the sides in turn, after the warm-up, and returns each side\'s samples', async t => {
  const calls: string[] = []
  let n = 0
  const samples = await alternate({
    a: async () => { calls.push('a'); return n++ },
    b: async () => { calls.push('b'); return n++ }
  }, { warmup: 1, rounds: 2 })
  t.same(calls, ['a', 'b', 'a', 'b', 'a', 'b'])
  t.same(samples, { a: [2, 4], b: [3, 5] }, 'warm-up samples are dropped')
})

t.test('median and percentile interpolate between ranks', async t => {
  t.equal(median([5, 1, 3]), 3)
  t.equal(median([4, 1, 3, 2]), 2.5)
  t.equal(percentile([10, 20, 30, 40, 50], 100), 50)
  t.equal(percentile([10, 20], 99), 19.9)
  t.throws(() => median([]))
})

t.test('a smoke run of the pool suite writes every case in the documented JSON shape and drops its database', async t => {
  const serverUrl = testServerUrl()
  const report = await runBenchmarks({ suites: [poolSuite, absentSuite, failingSuite], mode: 'smoke', serverUrl, log: () => {} })
  const dir = await mkdtemp(join(tmpdir(), 'trainload-bench-test-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await writeReport(report, join(dir, 'latest.json'))
  const written = JSON.parse(await readFile(join(dir, 'latest.json'), 'utf8'))

  t.same(Object.keys(written).sort(), ['database', 'finishedAt', 'machine', 'mode', 'results', 'startedAt', 'suites'])
  t.equal(written.mode, 'smoke')
  t.same(written.suites, ['pool', 'absent', 'failing'])
  t.ok(written.machine.cpus >= 1)
  t.match(written.database.version, /^\d+/)

  const keys = ['case', 'details', 'medianMs', 'met', 'note', 'p99Ms', 'ratio', 'runs', 'status', 'suite', 'target', 'throughput']
  for (const result of written.results) t.same(Object.keys(result).sort(), keys, `${result.suite} / ${result.case} has every field`)

  const pool = written.results.filter((r: { suite: string }) => r.suite === 'pool')
  t.equal(pool.length, 3, 'new client, pool and GET /health')
  for (const result of pool) {
    t.equal(result.status, 'measured')
    t.ok(result.medianMs > 0 && result.p99Ms >= result.medianMs, `${result.case}: median and p99 in ms`)
    t.ok(result.throughput.value > 0)
  }
  const pooled = pool[1]
  t.equal(pooled.ratio.unit, 'x')
  t.ok(pooled.ratio.value > 1, 'the pool beats a new connection per query even in a smoke run')
  t.equal(pooled.target, '>= 100x')
  t.type(pooled.met, 'boolean')
  t.equal(pool[2].details.connections, 50)

  const [absent, failed] = written.results.slice(3)
  t.match(absent, { suite: 'absent', status: 'not run', met: null, medianMs: null, note: /not implemented/ })
  t.match(failed, { suite: 'failing', status: 'failed', note: 'the suite broke' })
  t.match(formatTable(report), /absent\s+needs a missing route.*not run/)

  t.same(await listBenchDatabases(serverUrl, ['pool', 'absent', 'failing']), [], 'every suite database was dropped, the failed one too')
})

t.test('a smoke run of the tokens suite compares batch save with row-by-row saves and each refresh with its ideal', async t => {
  const serverUrl = testServerUrl()
  const report = await runBenchmarks({ suites: [tokensSuite], mode: 'smoke', serverUrl, log: () => {} })
  const [rowByRow, batch, c8, c32, ownCost, ...rest] = report.results
  t.same(rest, [], 'five cases')
  for (const result of report.results) t.equal(result.status, 'measured', `${result.case} ran`)

  t.equal(rowByRow!.throughput!.unit, 'rows/s')
  t.match(batch, { target: '>= 30x', ratio: { unit: 'x', of: /batch rows\/s/ } })
  t.ok(batch!.ratio!.value > 1, 'one batch beats a transaction per token even at smoke size')

  for (const [result, concurrency] of [[c8, 8], [c32, 32]] as const) {
    t.match(result, { target: '<= 1.2x, every token refreshed', details: { concurrency, latencyMs: 50, idealMs: 64 * 50 / concurrency, refreshedPerRun: '64' } })
    t.ok(result!.ratio!.value >= 1, `concurrency ${concurrency}: no run beats n x latency / concurrency, so the latency was applied`)
  }
  t.match(ownCost, { target: null, ratio: null, details: { latencyMs: 0, refreshedPerRun: '64' } })
  t.same(await listBenchDatabases(serverUrl, ['tokens']), [], 'the suite database was dropped')
})
