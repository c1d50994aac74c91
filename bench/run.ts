import { parseArgs } from 'node:util'
import { formatTable, latestResultsFile, writeReport } from './report.ts'
import { runBenchmarks } from './runner.ts'
import { suites } from './suites/index.ts'

const usage = `Usage: npm run bench -- [--full | --smoke] [suite ...]

Runs every suite (or the ones named) in quick mode, --full for the issues' sizes, or --smoke
for a seconds-long check that the suites work. Suites: ${suites.map(s => s.name).join(', ')}.
Uses a throwaway embedded PostgreSQL, or BENCH_DATABASE_URL's server; either way in databases
of its own that it creates and drops. Writes ${latestResultsFile}.`

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    full: { type: 'boolean', default: false },
    smoke: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false }
  }
})

if (values.help) {
  process.stdout.write(usage + '\n')
  process.exit(0)
}
const unknown = positionals.filter(name => !suites.some(suite => suite.name === name))
if (unknown.length > 0 || (values.full && values.smoke)) {
  process.stderr.write(`${unknown.length > 0 ? `unknown suite: ${unknown.join(', ')}` : '--full and --smoke exclude each other'}\n\n${usage}\n`)
  process.exit(2)
}

const report = await runBenchmarks({
  suites: positionals.length > 0 ? suites.filter(suite => positionals.includes(suite.name)) : suites,
  mode: values.full ? 'full' : values.smoke ? 'smoke' : 'quick'
})
await writeReport(report)
process.stdout.write(formatTable(report))
process.stderr.write(`results written to ${latestResultsFile}\n`)
// A missed target is a finding to report, not a failure; a suite that crashed is.
process.exit(report.results.some(result => result.status === 'failed') ? 1 : 0)
