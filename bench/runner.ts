import { randomBytes } from 'node:crypto'
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os'
import { loadConfig, type Config } from '../src/config.ts'
import { progressBar } from '../src/cli/output.ts'
import { createSuiteDatabase, openBenchServer } from './database.ts'
import type { CaseResult, Mode, Suite, SuiteContext } from './harness.ts'

export interface BenchReport {
  startedAt: string
  finishedAt: string
  mode: Mode
  suites: string[]
  machine: {
    cpus: number
    cpuModel: string
    memoryGiB: number
    platform: string
    node: string
    /** 1-minute load average when the run started: above `cpus`, other work shared the machine. */
    loadAverage: number
  }
  database: { kind: string, version: string }
  results: CaseResult[]
}

export interface RunOptions {
  suites: readonly Suite[]
  mode: Mode
  /** A server to use instead of BENCH_DATABASE_URL or the embedded default. */
  serverUrl?: string
  log?: (message: string) => void
}

/**
 * The configuration suites build the app with: the operator's environment (pool sizes and
 * so on), production mode, and secrets that exist only for this run. Request logging is off,
 * as it would otherwise measure the terminal.
 */
function benchConfig (): Config {
  return loadConfig({
    ...process.env,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    ADMIN_TOKEN: randomBytes(32).toString('base64url'),
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64')
  })
}

function describeMachine (): BenchReport['machine'] {
  return {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    platform: `${process.platform} ${process.arch}`,
    node: process.version,
    loadAverage: loadavg()[0]!
  }
}

/** A suite that throws still leaves a row saying so; the other suites run on. */
function failedSuite (suite: Suite, err: unknown): CaseResult {
  return {
    suite: suite.name,
    case: '(suite)',
    status: 'failed',
    medianMs: null,
    p99Ms: null,
    runs: 0,
    throughput: null,
    ratio: null,
    target: null,
    met: null,
    details: {},
    note: err instanceof Error ? err.message : String(err)
  }
}

async function runSuite (suite: Suite, serverUrl: string, base: Omit<SuiteContext, 'databaseUrl'>): Promise<CaseResult[]> {
  const database = await createSuiteDatabase(serverUrl, suite.name)
  try {
    const outcomes = await suite.run({ ...base, databaseUrl: database.url })
    return outcomes.map(outcome => ({ suite: suite.name, ...outcome }))
  } catch (err) {
    base.log(`${suite.name}: failed: ${err instanceof Error ? err.stack : String(err)}`)
    return [failedSuite(suite, err)]
  } finally {
    await database.drop()
  }
}

/** Runs the suites one after another, each in a database of its own, and collects the results. */
export async function runBenchmarks ({ suites, mode, serverUrl, log = message => process.stderr.write(message + '\n') }: RunOptions): Promise<BenchReport> {
  const startedAt = new Date().toISOString()
  const machine = describeMachine()
  const server = await openBenchServer(serverUrl)
  log(`${server.kind} ${server.version}, ${mode} mode, suites: ${suites.map(s => s.name).join(', ')}`)
  const base = {
    mode,
    config: benchConfig(),
    progress: (label: string, total: number) => progressBar(label, total, {}),
    log
  }
  const results: CaseResult[] = []
  try {
    for (const suite of suites) {
      log(`${suite.name}: ${suite.summary}`)
      results.push(...await runSuite(suite, server.url, base))
    }
  } finally {
    await server.stop()
  }
  return {
    startedAt,
    finishedAt: new Date().toISOString(),
    mode,
    suites: suites.map(s => s.name),
    machine,
    database: { kind: server.kind, version: server.version },
    results
  }
}
