import t from 'tap'
import { listBenchDatabases } from '../../../bench/database.ts'
import { runBenchmarks } from '../../../bench/runner.ts'
import { syncSuite } from '../../../bench/suites/sync.ts'

t.test('a smoke run of the sync suite syncs every athlete through the job runner and compares it with the ideal, the calls alone and the batch path', async t => {
  const serverUrl = process.env.TRAINLOAD_TEST_SERVER_URL
  if (!serverUrl) throw new Error('Run the tests with `npm test`, which prepares the test database server.')
  const report = await runBenchmarks({ suites: [syncSuite], mode: 'smoke', serverUrl, log: () => {} })
  const [latency, calls, batch, database, ...rest] = report.results
  t.same(rest, [], 'four cases')
  for (const result of report.results) t.equal(result.status, 'measured', `${result.case} ran: ${result.note ?? ''}`)

  // 6 athletes × 365 daily activities: 2 pages of 200 and the empty page that ends the history;
  // a first backfill done in one job does not re-list the 30-day window it holds.
  const pages = 6 * (2 + 1)
  t.match(latency, {
    target: '<= 1.2x, every activity stored',
    ratio: { unit: 'x', of: /ideal/ },
    details: { athletes: 6, days: 365, pagesNeeded: pages, callsPerRun: String(pages), latencyMs: 50, idealMs: pages * 50 / 4 }
  })
  t.ok(latency!.ratio!.value >= 1, 'no run beats pages x latency / concurrency, so the latency was applied')
  t.type(latency!.met, 'boolean')
  t.match(latency!.note, /x the same calls made alone/)
  t.match(calls, { target: null, ratio: { unit: 'x', of: /ideal/ }, details: { pagesNeeded: pages, callsPerRun: String(pages), idealMs: pages * 50 / 4 } })
  t.ok(calls!.ratio!.value >= 1, 'the calls alone pay the latency too')

  t.match(batch, { ratio: null, target: null, throughput: { unit: 'rows/s' }, details: { activities: 6 * 365 } })
  t.match(database, {
    target: '>= 80%, every activity stored',
    ratio: { unit: '%', of: 'sync rows/s / batch rows/s' },
    throughput: { unit: 'rows/s' },
    details: { activities: 6 * 365, callsPerRun: String(pages) }
  })
  t.ok(database!.ratio!.value > 0)
  t.same(await listBenchDatabases(serverUrl, ['sync']), [], 'the suite database was dropped')
})
