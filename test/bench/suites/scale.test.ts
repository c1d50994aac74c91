import t from 'tap'
import { listBenchDatabases } from '../../../bench/database.ts'
import { runBenchmarks } from '../../../bench/runner.ts'
import { activityHistory } from '../../../bench/suites/api-fixtures.ts'
import { suites } from '../../../bench/suites/index.ts'
import { scaleSuite } from '../../../bench/suites/scale.ts'

t.test('a smoke run of the scale suite ingests three years per athlete, recomputes them all and reports memory', async t => {
  const serverUrl = process.env.TRAINLOAD_TEST_SERVER_URL
  if (!serverUrl) throw new Error('Run the tests with `npm test`, which prepares the test database server.')
  const report = await runBenchmarks({ suites: [scaleSuite({ athletes: 3 })], mode: 'smoke', serverUrl, log: () => {} })
  const [ingest, recompute, ...rest] = report.results
  t.same(rest, [], 'two cases')
  for (const result of report.results) t.equal(result.status, 'measured', `${result.case} ran: ${result.note ?? ''}`)

  const perAthlete = activityHistory(new Date().toISOString().slice(0, 10), 1095).length
  t.match(ingest, { runs: 1, throughput: { unit: 'rows/s' }, details: { athletes: 3, days: 1095, activities: 3 * perAthlete } })
  t.match(recompute, { runs: 1, throughput: { unit: 'athlete-days/s' }, details: { athletes: 3, athleteDays: 3 * 1095, failed: 0 } })
  for (const result of [ingest!, recompute!]) {
    t.ok(Number(result.details.nodePeakRssMiB) > 0, 'the Node peak is measured')
    const postgres = result.details.postgresPeakPssMiB
    t.ok(typeof postgres === 'number' ? postgres > 0 : /^not measured/.test(postgres!), `the PostgreSQL peak is a size or says why not (${postgres})`)
    t.match(result.note, /^peak memory: Node \d+ MiB RSS, /)
  }
  // Only this suite's: other bench tests may be running on the same server meanwhile.
  t.same(await listBenchDatabases(serverUrl, ['scale']), [], 'the suite database was dropped')
})

t.test('the scale run is not among the suites that --smoke, --quick and --full run', async t => {
  t.notOk(suites.some(suite => suite.name === 'scale'))
})
