import { setTimeout as sleep } from 'node:timers/promises'
import autocannon from 'autocannon'
import { buildApp, type App } from '../src/app.ts'
import { alternate, measured, median, type CaseOutcome, type MeasuredCase, type Progress, type SuiteContext } from './harness.ts'

export interface LoadOptions {
  url: string
  connections: number
  seconds: number
  headers?: Record<string, string>
}

/** One autocannon run. `errors` are connection errors and timeouts; `non2xx` answered otherwise. */
export interface LoadRun {
  requestsPerSec: number
  p50Ms: number
  p99Ms: number
  requests: number
  errors: number
  non2xx: number
}

/**
 * Drives a URL with autocannon in this process. The load generator shares this process's
 * event loop with the server under test (and the machine with PostgreSQL), so absolute
 * figures are a floor; comparisons between routes measured the same way stay fair.
 */
export async function loadTest ({ url, connections, seconds, headers }: LoadOptions): Promise<LoadRun> {
  const result = await autocannon({ url, connections, duration: seconds, headers })
  return {
    requestsPerSec: result.requests.total / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    errors: result.errors,
    non2xx: result.non2xx
  }
}

export interface LoadSummary extends LoadRun {
  runs: number
}

/** Median rate and latencies over several runs; requests and errors are totals. */
export function summariseLoad (runs: readonly LoadRun[]): LoadSummary {
  const sum = (pick: (run: LoadRun) => number) => runs.reduce((total, run) => total + pick(run), 0)
  return {
    runs: runs.length,
    requestsPerSec: median(runs.map(run => run.requestsPerSec)),
    p50Ms: median(runs.map(run => run.p50Ms)),
    p99Ms: median(runs.map(run => run.p99Ms)),
    requests: sum(run => run.requests),
    errors: sum(run => run.errors),
    non2xx: sum(run => run.non2xx)
  }
}

/** How hard and how long to load a route: warm-up, then `rounds` runs of `seconds`. */
export interface LoadPlan {
  connections: number
  seconds: number
  rounds: number
  warmupSeconds: number
}

export type LoadTarget = Omit<LoadOptions, 'connections' | 'seconds'>

/** Warms every target up, then loads them in turn, round by round; one summary per target. */
export async function compareUnderLoad<K extends string> (plan: LoadPlan, targets: Record<K, LoadTarget>, progress?: Progress): Promise<Record<K, LoadSummary>> {
  const names = Object.keys(targets) as K[]
  const run = (name: K, seconds: number) => loadTest({ ...targets[name], connections: plan.connections, seconds })
  if (plan.warmupSeconds > 0) {
    for (const name of names) await run(name, plan.warmupSeconds)
  }
  const sides = Object.fromEntries(names.map(name => [name, () => run(name, plan.seconds)])) as Record<K, () => Promise<LoadRun>>
  const samples = await alternate(sides, { warmup: 0, rounds: plan.rounds, progress })
  return Object.fromEntries(names.map(name => [name, summariseLoad(samples[name])])) as Record<K, LoadSummary>
}

/** A case row for a load summary: p50 as the median, req/s, p99, and any failures named. */
export function loadCase (name: string, load: LoadSummary, plan: LoadPlan, extra: Pick<MeasuredCase, 'ratio' | 'target' | 'details' | 'note'> = {}): CaseOutcome {
  const failures = load.errors + load.non2xx > 0 ? `${load.errors} connection errors and ${load.non2xx} non-2xx answers` : undefined
  return measured({
    case: name,
    medianMs: load.p50Ms,
    p99Ms: load.p99Ms,
    runs: load.runs,
    throughput: { value: load.requestsPerSec, unit: 'req/s' },
    ratio: extra.ratio,
    target: extra.target,
    note: [extra.note, failures].filter(Boolean).join('; ') || undefined,
    details: {
      connections: plan.connections,
      secondsPerRun: plan.seconds,
      requests: load.requests,
      errors: load.errors,
      non2xx: load.non2xx,
      ...extra.details
    }
  })
}

export interface ListeningApp {
  app: App
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string
  close: () => Promise<void>
}

/**
 * autocannon walks away from the requests in flight when its time is up, but the server
 * still answers them; closing the pool under them would fail them on the way out.
 */
async function untilPoolIdle (app: App, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while ((app.pool.waitingCount > 0 || app.pool.idleCount < app.pool.totalCount) && Date.now() < deadline) await sleep(20)
}

/** The real trainload app on the suite's database, listening on a free loopback port. */
export async function listenApp (context: SuiteContext): Promise<ListeningApp> {
  const app = await buildApp({ config: context.config, databaseUrl: context.databaseUrl, logStream: process.stderr })
  try {
    const url = await app.listen({ host: '127.0.0.1', port: 0 })
    return { app, url, close: async () => { await untilPoolIdle(app); await app.close() } }
  } catch (err) {
    await app.close()
    throw err
  }
}
