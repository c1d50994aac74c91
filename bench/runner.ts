import { randomBytes } from 'node:crypto'
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os'
import { loadConfig, type Config } from '../src/config.ts'
import { progressBar } from '../src/cli/output.ts'
import { createSuiteDatabase, openBenchServer, type BenchServer, type SuiteDatabase } from './database.ts'
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
 * The configuration suites build the app with: the defaults, so runs compare across
 * machines, except the pool settings (`DB_*`) an operator may want to try; production mode;
 * secrets that exist only for this run. Request logging is off, as it would otherwise
 * measure the terminal; so are the in-process schedules, which would compete with the cases.
 */
function benchConfig (): Config {
  const poolSettings = Object.entries(process.env).filter(([name]) => name.startsWith('DB_'))
  return loadConfig({
    ...Object.fromEntries(poolSettings),
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

async function runSuite (suite: Suite, context: SuiteContext): Promise<CaseResult[]> {
  try {
    const outcomes = await suite.run(context)
    return outcomes.map(outcome => ({ suite: suite.name, ...outcome }))
  } catch (err) {
    context.log(`${suite.name}: failed: ${err instanceof Error ? err.stack : String(err)}`)
    return [failedSuite(suite, err)]
  }
}

interface Resources {
  server?: BenchServer
  database?: SuiteDatabase
}

/**
 * Ctrl-C mid-run would otherwise leave a suite database on BENCH_DATABASE_URL's server, or
 * the embedded server's folder in the temporary directory. After a signal, `interrupted`
 * holds the clean-up, which ends the process.
 */
function releaseOnSignal (resources: Resources, log: (message: string) => void) {
  const state: { interrupted?: Promise<never>, unhook: () => void } = { unhook: () => {} }
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: dropping the bench database and stopping`)
    state.interrupted ??= (async () => {
      await resources.database?.drop().catch(() => {})
      await resources.server?.stop().catch(() => {})
      process.exit(130)
    })()
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  state.unhook = () => {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
  return state
}

async function runEachInItsOwnDatabase (suites: readonly Suite[], server: BenchServer, resources: Resources, base: Omit<SuiteContext, 'databaseUrl'>) {
  const results: CaseResult[] = []
  for (const suite of suites) {
    base.log(`${suite.name}: ${suite.summary}`)
    const database = resources.database = await createSuiteDatabase(server.url, suite.name)
    try {
      results.push(...await runSuite(suite, { ...base, databaseUrl: database.url }))
    } finally {
      await database.drop()
      resources.database = undefined
    }
  }
  return results
}

/** Runs the suites one after another, each in a database of its own, and collects the results. */
export async function runBenchmarks ({ suites, mode, serverUrl, log = message => process.stderr.write(message + '\n') }: RunOptions): Promise<BenchReport> {
  const startedAt = new Date().toISOString()
  const machine = describeMachine()
  const resources: Resources = {}
  const signals = releaseOnSignal(resources, log)
  try {
    const server = resources.server = await openBenchServer(serverUrl)
    log(`${server.kind} ${server.version}, ${mode} mode, suites: ${suites.map(s => s.name).join(', ')}`)
    const base = { mode, config: benchConfig(), progress: (label: string, total: number) => progressBar(label, total, {}), log }
    const results = await runEachInItsOwnDatabase(suites, server, resources, base)
    return {
      startedAt,
      finishedAt: new Date().toISOString(),
      mode,
      suites: suites.map(s => s.name),
      machine,
      database: { kind: server.kind, version: server.version },
      results
    }
  } finally {
    signals.unhook()
    if (signals.interrupted) await signals.interrupted
    await resources.server?.stop()
  }
}
