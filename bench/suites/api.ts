import Fastify from 'fastify'
import { alternate, andAlso, atLeast, measured, notRun, type CaseOutcome, type MeasuredCase, type Mode, type Suite, type SuiteContext } from '../harness.ts'
import { listenApp, loadTest, summariseLoad, type LoadOptions, type LoadSummary } from '../load.ts'
import { prepareAcwrReader, syntheticAcwrBody } from './api-fixtures.ts'

interface ApiSizes {
  connections: number
  seconds: number
  rounds: number
  warmupSeconds: number
  /** Days of activity history behind the 90 days read. */
  historyDays: number
}

const sizes: Record<Mode, ApiSizes> = {
  smoke: { connections: 50, seconds: 1, rounds: 1, warmupSeconds: 0, historyDays: 120 },
  quick: { connections: 50, seconds: 3, rounds: 2, warmupSeconds: 1, historyDays: 730 },
  full: { connections: 50, seconds: 10, rounds: 3, warmupSeconds: 2, historyDays: 730 }
}

const ACWR_CASE = 'GET /api/athletes/:id/acwr, 90 days'
const ACWR_SHARE_TARGET = atLeast(30, '%')

/** The physical floor for a JSON read: Fastify with nothing but one route returning a constant. */
async function listenBareRoute (body: unknown) {
  const bare = Fastify()
  bare.get('/acwr', async () => body)
  const url = await bare.listen({ host: '127.0.0.1', port: 0 })
  return { url: `${url}/acwr`, bytes: Buffer.byteLength(JSON.stringify(body)), close: () => bare.close() }
}

function loadCase (name: string, load: LoadSummary, size: ApiSizes, extra: Pick<MeasuredCase, 'ratio' | 'target' | 'details' | 'note'> = {}): CaseOutcome {
  const failures = load.errors + load.non2xx
  const notes = [extra.note, failures > 0 ? `${load.errors} connection errors and ${load.non2xx} non-2xx answers` : undefined]
  return measured({
    case: name,
    medianMs: load.p50Ms,
    p99Ms: load.p99Ms,
    runs: load.runs,
    throughput: { value: load.requestsPerSec, unit: 'req/s' },
    ratio: extra.ratio,
    target: extra.target,
    note: notes.filter(Boolean).join('; ') || undefined,
    details: { connections: size.connections, secondsPerRun: size.seconds, requests: load.requests, errors: load.errors, non2xx: load.non2xx, ...extra.details }
  })
}

async function measureLoads<K extends string> (context: SuiteContext, size: ApiSizes, targets: Record<K, Omit<LoadOptions, 'connections' | 'seconds'>>) {
  const names = Object.keys(targets) as K[]
  const run = (name: K, seconds: number) => loadTest({ ...targets[name], connections: size.connections, seconds })
  if (size.warmupSeconds > 0) {
    for (const name of names) await run(name, size.warmupSeconds)
  }
  const sides = Object.fromEntries(names.map(name => [name, () => run(name, size.seconds)])) as Record<K, () => ReturnType<typeof loadTest>>
  const samples = await alternate(sides, { warmup: 0, rounds: size.rounds, progress: context.progress('api: autocannon', size.rounds) })
  return Object.fromEntries(names.map(name => [name, summariseLoad(samples[name])])) as Record<K, LoadSummary>
}

export const apiSuite: Suite = {
  name: 'api',
  summary: 'GET /api/athletes/:id/acwr (90 days) against a bare Fastify route returning the same JSON',
  run: async context => {
    const size = sizes[context.mode]
    const today = new Date().toISOString().slice(0, 10)
    const server = await listenApp(context)
    try {
      const reader = await prepareAcwrReader(server.app, size.historyDays, today)
      const bare = await listenBareRoute(reader.ready ? reader.body : syntheticAcwrBody(today))
      try {
        const bareName = `bare Fastify route, constant JSON, ${size.connections} connections`
        if (!reader.ready) {
          const loads = await measureLoads(context, size, { bare: { url: bare.url } })
          return [
            loadCase(bareName, loads.bare, size, { note: 'payload: a synthetic 90-day body in API.md\'s shape', details: { bytes: bare.bytes } }),
            notRun(ACWR_CASE, `not run: ${reader.missingRoute} is not implemented yet (Fastify answers 404 "route not found")`, ACWR_SHARE_TARGET)
          ]
        }
        const loads = await measureLoads(context, size, {
          bare: { url: bare.url },
          acwr: { url: `${server.url}${reader.path}`, headers: reader.headers }
        })
        const clean = loads.acwr.errors + loads.acwr.non2xx === 0
        return [
          loadCase(bareName, loads.bare, size, { details: { bytes: bare.bytes } }),
          loadCase(`${ACWR_CASE}, ${size.connections} connections`, loads.acwr, size, {
            ratio: { value: 100 * loads.acwr.requestsPerSec / loads.bare.requestsPerSec, unit: '%', of: 'acwr req/s / bare req/s' },
            target: andAlso(ACWR_SHARE_TARGET, '0 errors', clean),
            details: { bytes: reader.bytes, days: reader.days }
          })
        ]
      } finally {
        await bare.close()
      }
    } finally {
      await server.close()
    }
  }
}
