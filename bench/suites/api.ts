import Fastify from 'fastify'
import { andAlso, atLeast, notRun, type CaseOutcome, type Mode, type Suite, type SuiteContext } from '../harness.ts'
import { compareUnderLoad, listenApp, loadCase, type ListeningApp, type LoadPlan } from '../load.ts'
import { prepareAcwrReader, syntheticAcwrBody } from './api-fixtures.ts'

interface ApiSizes extends LoadPlan {
  /** Days of activity history behind the 90 days read. */
  historyDays: number
}

const sizes: Record<Mode, ApiSizes> = {
  smoke: { connections: 50, seconds: 1, rounds: 1, warmupSeconds: 0, historyDays: 120 },
  quick: { connections: 50, seconds: 3, rounds: 2, warmupSeconds: 1, historyDays: 730 },
  full: { connections: 50, seconds: 10, rounds: 3, warmupSeconds: 2, historyDays: 730 }
}

const ACWR_SHARE_TARGET = atLeast(40, '%')

/** The physical floor for a JSON read: Fastify with nothing but one route returning a constant. */
async function listenBareRoute (body: unknown) {
  const bare = Fastify()
  bare.get('/acwr', async () => body)
  const url = await bare.listen({ host: '127.0.0.1', port: 0 })
  return { url: `${url}/acwr`, bytes: Buffer.byteLength(JSON.stringify(body)), close: () => bare.close() }
}

/**
 * Both routes under the same load, in turn. While the ACWR route is missing the ACWR side is
 * reported as not run, and the bare route serves a synthetic body of the contract's shape.
 */
async function acwrAgainstBareRoute (context: SuiteContext, size: ApiSizes, server: ListeningApp): Promise<CaseOutcome[]> {
  const today = new Date().toISOString().slice(0, 10)
  const reader = await prepareAcwrReader(server.app, size.historyDays, today)
  const bare = await listenBareRoute(reader.ready ? reader.body : syntheticAcwrBody(today))
  const bareName = `bare Fastify route, constant JSON, ${size.connections} connections`
  const acwrName = `GET /api/athletes/:id/acwr, 90 days, ${size.connections} connections`
  const progress = context.progress('api: autocannon', size.rounds)
  try {
    if (!reader.ready) {
      const loads = await compareUnderLoad(size, { bare: { url: bare.url } }, progress)
      return [
        loadCase(bareName, loads.bare, size, { note: 'payload: a synthetic 90-day body in the ACWR series\' shape', details: { bytes: bare.bytes } }),
        notRun(acwrName, `not run: ${reader.missingRoute} is not implemented yet (Fastify answers 404 "route not found")`, ACWR_SHARE_TARGET)
      ]
    }
    const loads = await compareUnderLoad(size, {
      bare: { url: bare.url },
      acwr: { url: `${server.url}${reader.path}`, headers: reader.headers }
    }, progress)
    const clean = loads.acwr.errors + loads.acwr.non2xx === 0
    return [
      loadCase(bareName, loads.bare, size, { details: { bytes: bare.bytes } }),
      loadCase(acwrName, loads.acwr, size, {
        ratio: { value: 100 * loads.acwr.requestsPerSec / loads.bare.requestsPerSec, unit: '%', of: 'acwr req/s / bare req/s' },
        target: andAlso(ACWR_SHARE_TARGET, '0 errors', clean),
        details: { bytes: reader.bytes, days: reader.days }
      })
    ]
  } finally {
    await bare.close()
  }
}

export const apiSuite: Suite = {
  name: 'api',
  summary: 'GET /api/athletes/:id/acwr (90 days) against a bare Fastify route returning the same JSON',
  run: async context => {
    const server = await listenApp(context)
    try {
      return await acwrAgainstBareRoute(context, sizes[context.mode], server)
    } finally {
      await server.close()
    }
  }
}
