import { readdir, readFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { sql } from 'kysely'
import pLimit from 'p-limit'
import { upsertActivities } from '../../src/activities/service.ts'
import { recalculateAcwr } from '../../src/acwr/recalculate.ts'
import { upsertAthletes } from '../../src/athletes/service.ts'
import { createDatabase, type Database } from '../../src/db/database.ts'
import { measured, type CaseOutcome, type Suite, type SuiteContext } from '../harness.ts'
import { activityHistory } from './api-fixtures.ts'

/** Three years of history per athlete. */
const DAYS = 3 * 365
/** The fleet of `npm run bench -- --scale`; `--smoke` takes a few athletes, `--athletes` any number. */
const SCALE_ATHLETES = 10_000
const SMOKE_ATHLETES = 4
/** One client per core pushing activities, as several API clients would. */
const INGEST_CLIENTS = availableParallelism()
const SAMPLE_EVERY_MS = 250

const MiB = 2 ** 20

/**
 * The server processes of a PostgreSQL on this machine: the postmaster (parent of every
 * backend) and its children. Empty when the server is elsewhere or its memory maps are not
 * readable by this user; the memory figures then say "not measured".
 */
async function serverProcesses (db: Database): Promise<number[]> {
  const { rows: [backend] } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db)
  const parentOf = async (pid: number) => Number((await readFile(`/proc/${pid}/stat`, 'utf8')).replace(/^.*\) /s, '').split(' ')[1])
  try {
    const postmaster = await parentOf(backend!.pid)
    if (!(await readFile(`/proc/${postmaster}/cmdline`, 'utf8')).includes('postgres')) return []
    await readFile(`/proc/${postmaster}/smaps_rollup`, 'utf8')
    const children: number[] = []
    for (const entry of await readdir('/proc')) {
      if (!/^\d+$/.test(entry)) continue
      const pid = Number(entry)
      if (await parentOf(pid).catch(() => undefined) === postmaster) children.push(pid)
    }
    return [postmaster, ...children]
  } catch {
    return []
  }
}

/**
 * Proportional set size: a process's private pages plus its share of the pages it shares,
 * so that summed over the server's processes shared_buffers counts once, not per backend.
 */
async function pssBytes (pid: number): Promise<number> {
  const rollup = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8').catch(() => '')
  return Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0) * 1024
}

interface MemoryPeaks {
  nodeRssBytes: number
  /** Null when the server's processes cannot be read (not on this machine). */
  postgresPssBytes: number | null
}

/**
 * Samples the memory of this Node process and of the PostgreSQL server while `run` runs;
 * backends started meanwhile (a new pool connection) are picked up at the next listing.
 */
async function withMemoryPeaks<T> (db: Database, run: () => Promise<T>): Promise<{ result: T, peaks: MemoryPeaks }> {
  let processes = await serverProcesses(db)
  const peaks: MemoryPeaks = { nodeRssBytes: process.memoryUsage.rss(), postgresPssBytes: processes.length > 0 ? 0 : null }
  let sampling = Promise.resolve()
  let samples = 0
  const sample = async () => {
    peaks.nodeRssBytes = Math.max(peaks.nodeRssBytes, process.memoryUsage.rss())
    if (peaks.postgresPssBytes === null) return
    if (++samples % 20 === 0) processes = await serverProcesses(db)
    const sizes = await Promise.all(processes.map(pssBytes))
    peaks.postgresPssBytes = Math.max(peaks.postgresPssBytes, sizes.reduce((sum, size) => sum + size, 0))
  }
  const timer = setInterval(() => { sampling = sampling.then(sample) }, SAMPLE_EVERY_MS)
  try {
    const result = await run()
    return { result, peaks }
  } finally {
    clearInterval(timer)
    await sampling
    await sample()
  }
}

async function temporaryBytes (db: Database): Promise<number> {
  const { rows: [row] } = await sql<{ bytes: string }>`select temp_bytes::text as bytes from pg_stat_database where datname = current_database()`.execute(db)
  return Number(row!.bytes)
}

async function tableBytes (db: Database, table: 'activities' | 'acwr_daily'): Promise<number> {
  const { rows: [row] } = await sql<{ bytes: string }>`select pg_total_relation_size(${table}::regclass)::text as bytes`.execute(db)
  return Number(row!.bytes)
}

const mib = (bytes: number) => Math.round(bytes / MiB)

function memoryDetails (peaks: MemoryPeaks, tempBytes: number) {
  return {
    nodePeakRssMiB: mib(peaks.nodeRssBytes),
    postgresPeakPssMiB: peaks.postgresPssBytes === null ? 'not measured (server not on this machine)' : mib(peaks.postgresPssBytes),
    postgresTempFilesMiB: mib(tempBytes)
  }
}

/** The memory figures under the table, where a reader of the run sees them. */
function memoryNote (peaks: MemoryPeaks, tempBytes: number): string {
  const postgres = peaks.postgresPssBytes === null ? 'PostgreSQL not measured (server not on this machine)' : `PostgreSQL ${mib(peaks.postgresPssBytes)} MiB (sum of its processes' PSS)`
  return `peak memory: Node ${mib(peaks.nodeRssBytes)} MiB RSS, ${postgres}; temporary files ${mib(tempBytes)} MiB`
}

/** Every athlete's three years in one PUT-sized batch each, `INGEST_CLIENTS` athletes at a time. */
async function ingest (context: SuiteContext, db: Database, athleteIds: number[]): Promise<CaseOutcome> {
  const history = activityHistory(new Date().toISOString().slice(0, 10), DAYS)
  const progress = context.progress('scale: ingest', athleteIds.length)
  const limit = pLimit(INGEST_CLIENTS)
  let done = 0
  const tempBefore = await temporaryBytes(db)
  const started = performance.now()
  const { peaks } = await withMemoryPeaks(db, () => Promise.all(athleteIds.map(athleteId => limit(async () => {
    await upsertActivities(db, athleteId, history)
    progress.update(++done)
  }))))
  const ms = performance.now() - started
  progress.stop()
  const activities = athleteIds.length * history.length
  const tempBytes = await temporaryBytes(db) - tempBefore
  return measured({
    case: `ingest ${athleteIds.length} athletes x ${DAYS} days (${activities} activities) through upsertActivities (as PUT /activities, ACWR included), ${INGEST_CLIENTS} at a time`,
    medianMs: ms,
    runs: 1,
    throughput: { value: 1000 * activities / ms, unit: 'rows/s' },
    details: {
      athletes: athleteIds.length,
      days: DAYS,
      activities,
      clients: INGEST_CLIENTS,
      ...memoryDetails(peaks, tempBytes),
      activitiesTableMiB: mib(await tableBytes(db, 'activities'))
    },
    note: memoryNote(peaks, tempBytes)
  })
}

/** What POST /admin/batch-recalculate-acwr with `{ from: null }` runs, into an emptied acwr_daily. */
async function recompute (context: SuiteContext, db: Database, athletes: number): Promise<CaseOutcome> {
  await sql`truncate acwr_daily`.execute(db)
  const batches = Math.ceil(athletes / context.config.ACWR_BATCH_ATHLETES)
  const progress = context.progress('scale: recompute', batches)
  const tempBefore = await temporaryBytes(db)
  const started = performance.now()
  const { result, peaks } = await withMemoryPeaks(db, () => recalculateAcwr(db, {
    from: null,
    batchSize: context.config.ACWR_BATCH_ATHLETES,
    concurrency: context.config.ACWR_RECOMPUTE_CONCURRENCY,
    onBatch: done => progress.update(done)
  }))
  const ms = performance.now() - started
  progress.stop()
  const tempBytes = await temporaryBytes(db) - tempBefore
  return measured({
    case: `full ACWR and PMC recompute of ${athletes} athletes x ${DAYS} days into an empty acwr_daily (recalculateAcwr, as POST /admin/batch-recalculate-acwr)`,
    medianMs: ms,
    runs: 1,
    throughput: { value: 1000 * result.days / ms, unit: 'athlete-days/s' },
    details: {
      athletes: result.athletes,
      athleteDays: result.days,
      failed: result.failed,
      batchAthletes: context.config.ACWR_BATCH_ATHLETES,
      concurrency: context.config.ACWR_RECOMPUTE_CONCURRENCY,
      ...memoryDetails(peaks, tempBytes),
      acwrDailyTableMiB: mib(await tableBytes(db, 'acwr_daily'))
    },
    note: memoryNote(peaks, tempBytes)
  })
}

/**
 * The capacity run: a fleet with three years of history each, ingested through the
 * activities batch path, then its whole ACWR and PMC series recomputed. Each phase runs once
 * (at 10,000 athletes one phase takes many minutes) and reports its time, rows per second,
 * the peak resident memory of this Node process and the peak memory of the PostgreSQL
 * server (the sum of its processes' proportional set sizes), and the bytes its sorts spilled.
 * Run by `--scale` alone, never by --smoke, --quick or --full.
 */
export function scaleSuite ({ athletes }: { athletes?: number } = {}): Suite {
  return {
    name: 'scale',
    summary: 'a fleet with three years of history: ingest through the batch path, then a full ACWR and PMC recompute, with time, rows per second and peak memory',
    run: async context => {
      const count = athletes ?? (context.mode === 'smoke' ? SMOKE_ATHLETES : SCALE_ATHLETES)
      const { db } = createDatabase(context.databaseUrl, context.config, err => context.log(`scale: idle connection lost: ${err.message}`))
      try {
        const fleet = await upsertAthletes(db, Array.from({ length: count }, (_, i) => ({ stravaAthleteId: 900_000_000 + i, name: `Scale athlete ${i + 1}` })))
        const ingested = await ingest(context, db, fleet.map(athlete => athlete.id))
        await sql`vacuum analyze activities`.execute(db)
        return [ingested, await recompute(context, db, count)]
      } finally {
        await db.destroy()
      }
    }
  }
}
