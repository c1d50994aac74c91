import { sql } from 'kysely'
import pg from 'pg'
import { createDatabase } from '../../src/db/database.ts'
import { alternate, atLeast, measured, median, percentile, timed, type CaseOutcome, type MeasuredCase, type Mode, type Suite, type SuiteContext } from '../harness.ts'
import { compareUnderLoad, listenApp, loadCase, type LoadPlan } from '../load.ts'

interface PoolSizes {
  /** Sequential queries per side in one round; every query is one sample. */
  queries: number
  rounds: number
  http: LoadPlan
}

const sizes: Record<Mode, PoolSizes> = {
  smoke: { queries: 5, rounds: 2, http: { connections: 50, seconds: 1, rounds: 1, warmupSeconds: 0 } },
  quick: { queries: 50, rounds: 8, http: { connections: 50, seconds: 4, rounds: 2, warmupSeconds: 1 } },
  full: { queries: 100, rounds: 15, http: { connections: 50, seconds: 10, rounds: 3, warmupSeconds: 2 } }
}

/**
 * A closed connection's backend exits after the client has moved on; on two cores that
 * teardown would otherwise land in the pooled side's first milliseconds.
 */
const SETTLE_MS = 100

/** What a service without a pool pays per query: a new backend, authentication, then teardown. */
async function selectOneWithNewClient (url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  // Failures surface through connect() and query(); a server shutting down between them
  // would otherwise be an unhandled 'error' event.
  client.on('error', () => {})
  await client.connect()
  try {
    await client.query('select 1')
  } finally {
    await client.end()
  }
}

/** Times each of `count` sequential calls on its own. */
const eachTimed = (count: number, query: () => Promise<unknown>) => async () => {
  const times: number[] = []
  for (let i = 0; i < count; i++) times.push(await timed(query))
  return times
}

function queryCase (name: string, times: number[], rounds: number, extra: Pick<MeasuredCase, 'ratio' | 'target'> = {}): CaseOutcome {
  const totalMs = times.reduce((sum, ms) => sum + ms, 0)
  return measured({
    case: name,
    medianMs: median(times),
    p99Ms: percentile(times, 99),
    runs: rounds,
    throughput: { value: 1000 * times.length / totalMs, unit: 'queries/s, one at a time' },
    details: { queries: times.length },
    ...extra
  })
}

async function newClientAgainstPool (context: SuiteContext, { queries, rounds }: PoolSizes): Promise<CaseOutcome[]> {
  const { db } = createDatabase(context.databaseUrl, context.config, err => context.log(`pool: idle connection lost: ${err.message}`))
  try {
    const samples = await alternate({
      newClient: eachTimed(queries, () => selectOneWithNewClient(context.databaseUrl)),
      pool: eachTimed(queries, () => sql`select 1`.execute(db))
    }, { warmup: 1, rounds, settleMs: SETTLE_MS, progress: context.progress('pool: SELECT 1', rounds) })
    const newClient = samples.newClient.flat()
    const pool = samples.pool.flat()
    return [
      queryCase('SELECT 1, new pg.Client per query (connect, query, end)', newClient, rounds),
      queryCase('SELECT 1 through the pool (createDatabase, Kysely)', pool, rounds, {
        ratio: { value: median(newClient) / median(pool), unit: 'x', of: 'new-client median ms / pool median ms' },
        target: atLeast(100, 'x')
      })
    ]
  } finally {
    await db.destroy()
  }
}

async function healthUnderLoad (context: SuiteContext, { http }: PoolSizes): Promise<CaseOutcome> {
  const server = await listenApp(context)
  try {
    const loads = await compareUnderLoad(http, { health: { url: `${server.url}/health` } }, context.progress('pool: GET /health', http.rounds))
    return loadCase(`GET /health over HTTP, ${http.connections} connections`, loads.health, http)
  } finally {
    await server.close()
  }
}

export const poolSuite: Suite = {
  name: 'pool',
  summary: 'SELECT 1 with a new connection per query against the pool; GET /health under load',
  run: async context => {
    const size = sizes[context.mode]
    return [...await newClientAgainstPool(context, size), await healthUnderLoad(context, size)]
  }
}
