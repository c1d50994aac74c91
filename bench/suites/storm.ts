import autocannon from 'autocannon'
import { issueApiKey } from '../../src/athletes/api-keys.ts'
import type { App } from '../../src/app.ts'
import { alternate, measured, type CaseOutcome, type Mode, type Suite, type SuiteContext } from '../harness.ts'
import { listenApp, loadTest, summariseLoad, type LoadRun, type LoadSummary } from '../load.ts'
import { activityHistory } from './api-fixtures.ts'

interface StormSizes {
  /** Connections reading athlete B's latest ACWR. */
  readers: number
  /** Connections writing for athlete A at once, as in the report that found the starvation. */
  writers: number
  seconds: number
  rounds: number
  historyDays: number
  /** Activities in each of A's batch uploads. */
  batch: number
}

const sizes: Record<Mode, StormSizes> = {
  smoke: { readers: 10, writers: 30, seconds: 1, rounds: 1, historyDays: 120, batch: 50 },
  quick: { readers: 10, writers: 30, seconds: 3, rounds: 2, historyDays: 730, batch: 200 },
  full: { readers: 10, writers: 30, seconds: 10, rounds: 3, historyDays: 730, batch: 500 }
}

interface Athlete { id: number, headers: Record<string, string> }

async function createAthleteWithHistory (app: App, stravaAthleteId: number, historyDays: number, today: string): Promise<Athlete> {
  const admin = { authorization: `Bearer ${app.config.ADMIN_TOKEN!}` }
  const created = await app.inject({ method: 'PUT', url: '/admin/athletes', headers: admin, payload: { athletes: [{ stravaAthleteId }] } })
  if (created.statusCode !== 200) throw new Error(`storm: creating athlete ${stravaAthleteId} answered ${created.statusCode}: ${created.body.slice(0, 200)}`)
  const id = (created.json() as { athletes: Array<{ id: number }> }).athletes[0]!.id
  const ingest = await app.inject({ method: 'PUT', url: `/api/athletes/${id}/activities`, headers: admin, payload: { activities: activityHistory(today, historyDays) } })
  if (ingest.statusCode !== 200) throw new Error(`storm: seeding athlete ${id} answered ${ingest.statusCode}: ${ingest.body.slice(0, 200)}`)
  const { apiKey } = await issueApiKey(app.db, id)
  return { id, headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' } }
}

/**
 * A's storm: settings changes that alternate (so each one recomputes) and batch uploads whose
 * loads alternate (so each one rewrites rows and recomputes), every connection cycling
 * through them, with A's own key.
 */
function stormRequests (a: Athlete, size: StormSizes, today: string): autocannon.Request[] {
  const batch = (scale: number) => JSON.stringify({
    activities: activityHistory(today, size.batch).map(activity => ({ ...activity, id: activity.id + 5_000_000, distanceM: Math.round((activity.distanceM ?? 0) * scale) }))
  })
  const settings = `/api/athletes/${a.id}/settings`
  const activities = `/api/athletes/${a.id}/activities`
  return [
    { method: 'PATCH', path: settings, headers: a.headers, body: JSON.stringify({ acuteDays: 7, chronicDays: 28 }) },
    { method: 'PUT', path: activities, headers: a.headers, body: batch(1) },
    { method: 'PATCH', path: settings, headers: a.headers, body: JSON.stringify({ acuteDays: 8, chronicDays: 30 }) },
    { method: 'PUT', path: activities, headers: a.headers, body: batch(1.1) }
  ]
}

type StatusCounts = Record<string, number>

/** B's reads, with A's storm at the same time when given; the storm's answers counted by status. */
async function readWhileStorming (readUrl: string, b: Athlete, size: StormSizes, storm?: { url: string, requests: autocannon.Request[] }) {
  const reads = loadTest({ url: `${readUrl}/api/athletes/${b.id}/acwr/latest`, headers: b.headers, connections: size.readers, seconds: size.seconds })
  const writes = storm && autocannon({ url: storm.url, connections: size.writers, duration: size.seconds, requests: storm.requests })
  const [read, written] = await Promise.all([reads, writes])
  const statuses: StatusCounts = {}
  for (const [code, { count = 0 } = {}] of Object.entries(written?.statusCodeStats ?? {})) statuses[code] = count
  return { read, statuses }
}

const sumStatuses = (all: StatusCounts[]) => all.reduce<StatusCounts>((sum, counts) => {
  for (const [code, count] of Object.entries(counts)) sum[code] = (sum[code] ?? 0) + count
  return sum
}, {})

function stormCase (name: string, idle: LoadSummary, storm: LoadSummary, statuses: StatusCounts, size: StormSizes): CaseOutcome {
  const aFailures = Object.entries(statuses).filter(([code]) => Number(code) >= 500 && code !== '503').reduce((n, [, c]) => n + c, 0)
  return measured({
    case: name,
    medianMs: storm.p50Ms,
    p99Ms: storm.p99Ms,
    runs: storm.runs,
    throughput: { value: storm.requestsPerSec, unit: 'req/s' },
    ratio: { value: storm.p99Ms / Math.max(idle.p99Ms, 1), unit: 'x', of: 'B p99 in the storm / B p99 idle' },
    note: storm.non2xx + storm.errors > 0 ? `B got ${storm.non2xx} non-2xx answers and ${storm.errors} errors` : undefined,
    details: {
      idleP99Ms: idle.p99Ms,
      stormP99Ms: storm.p99Ms,
      bNon2xx: storm.non2xx,
      bErrors: storm.errors,
      writers: size.writers,
      readers: size.readers,
      ...Object.fromEntries(Object.entries(statuses).map(([code, count]) => [`a${code}`, count])),
      aOther5xx: aFailures
    }
  })
}

async function measureStorm (context: SuiteContext, size: StormSizes): Promise<CaseOutcome[]> {
  const today = new Date().toISOString().slice(0, 10)
  const server = await listenApp(context)
  // The same service with the per-credential write limit out of the way, so that only the
  // athlete queue and lock_timeout stand between A's writes and the pool.
  const unthrottled = await listenApp({ ...context, config: { ...context.config, WRITE_RATE_LIMIT_MAX: 1_000_000 } })
  try {
    const a = await createAthleteWithHistory(server.app, 910_000_001, size.historyDays, today)
    const b = await createAthleteWithHistory(server.app, 910_000_002, size.historyDays, today)
    const requests = stormRequests(a, size, today)
    const samples = await alternate({
      idle: () => readWhileStorming(server.url, b, size),
      storm: () => readWhileStorming(server.url, b, size, { url: server.url, requests }),
      unthrottled: () => readWhileStorming(unthrottled.url, b, size, { url: unthrottled.url, requests })
    }, { warmup: 0, rounds: size.rounds, settleMs: 200, progress: context.progress('storm: autocannon', size.rounds) })
    const summary = (runs: Array<{ read: LoadRun }>) => summariseLoad(runs.map(run => run.read))
    const idle = summary(samples.idle)
    const idleCase = measured({
      case: `B GET /acwr/latest, idle service, ${size.readers} connections`,
      medianMs: idle.p50Ms,
      p99Ms: idle.p99Ms,
      runs: idle.runs,
      throughput: { value: idle.requestsPerSec, unit: 'req/s' },
      details: { readers: size.readers, bNon2xx: idle.non2xx, bErrors: idle.errors }
    })
    return [
      idleCase,
      stormCase(`B GET /acwr/latest while A storms (${size.writers} writers, default limits)`, idle, summary(samples.storm), sumStatuses(samples.storm.map(s => s.statuses)), size),
      stormCase(`B GET /acwr/latest while A storms (${size.writers} writers, write rate limit lifted)`, idle, summary(samples.unthrottled), sumStatuses(samples.unthrottled.map(s => s.statuses)), size)
    ]
  } finally {
    await unthrottled.close()
    await server.close()
  }
}

export const stormSuite: Suite = {
  name: 'storm',
  summary: 'athlete B\'s ACWR reads on an idle service and while athlete A floods settings changes and batch uploads',
  run: context => measureStorm(context, sizes[context.mode])
}
