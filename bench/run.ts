import { parseArgs } from 'node:util'
import { formatTable, latestResultsFile, writeReport } from './report.ts'
import { runBenchmarks } from './runner.ts'
import { suites } from './suites/index.ts'
import { scaleSuite } from './suites/scale.ts'

const usage = `Usage: npm run bench -- [--full | --smoke] [suite ...]
       npm run bench -- --scale [--athletes <n> | --smoke]

Runs every suite (or the ones named) in quick mode, --full for the full sizes, or --smoke
for a seconds-long check that the suites work. Suites: ${suites.map(s => s.name).join(', ')}.
--scale runs only the scale run: 10,000 athletes (or --athletes) with three years of history
each, ingested and recomputed once, with peak memory (about 16 minutes on 2 cores).
Uses a throwaway embedded PostgreSQL, or BENCH_DATABASE_URL's server; either way in databases
of its own that it creates and drops. Writes ${latestResultsFile}.`

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    full: { type: 'boolean', default: false },
    smoke: { type: 'boolean', default: false },
    scale: { type: 'boolean', default: false },
    athletes: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false }
  }
})

if (values.help) {
  process.stdout.write(usage + '\n')
  process.exit(0)
}

function usageError (): string | undefined {
  const unknown = positionals.filter(name => !suites.some(suite => suite.name === name))
  if (unknown.length > 0) return `unknown suite: ${unknown.join(', ')}`
  if (values.full && values.smoke) return '--full and --smoke exclude each other'
  if (values.scale && (values.full || positionals.length > 0)) return '--scale runs alone: no suite names, no --full'
  if (values.athletes !== undefined && (!values.scale || values.smoke)) return '--athletes goes with --scale, without --smoke'
  if (values.athletes !== undefined && !/^[1-9]\d*$/.test(values.athletes)) return `--athletes: "${values.athletes}" is not a positive whole number`
  return undefined
}

const error = usageError()
if (error) {
  process.stderr.write(`${error}\n\n${usage}\n`)
  process.exit(2)
}

const report = await runBenchmarks(values.scale
  ? { suites: [scaleSuite({ athletes: values.athletes === undefined ? undefined : Number(values.athletes) })], mode: values.smoke ? 'smoke' : 'full' }
  : {
      suites: positionals.length > 0 ? suites.filter(suite => positionals.includes(suite.name)) : suites,
      mode: values.full ? 'full' : values.smoke ? 'smoke' : 'quick'
    })
await writeReport(report)
process.stdout.write(formatTable(report))
process.stderr.write(`results written to ${latestResultsFile}\n`)
// A missed target is a finding to report, not a failure; a suite that crashed is.
process.exit(report.results.some(result => result.status === 'failed') ? 1 : 0)
