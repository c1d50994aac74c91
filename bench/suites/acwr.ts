import { sql } from 'kysely'
import { upsertActivities } from '../../src/activities/service.ts'
import { recalculateAcwr } from '../../src/acwr/recalculate.ts'
import { createDatabase, type Database } from '../../src/db/database.ts'
import { alternate, atLeast, atMost, measured, median, percentile, timed, type CaseOutcome, type Mode, type Suite, type SuiteContext } from '../harness.ts'
import { buildFleet, compareLoopWithEngine, createAcwrCopies, recomputeWithLoop } from './acwr-fixtures.ts'

interface AcwrSizes {
  athletes: number
  days: number
  /** Athletes the per-date loop recomputes in each round. */
  loopAthletes: number
  /** Rounds of the recompute comparison (recompute, serial recompute, both floors, unchanged, loop in turn). */
  rounds: number
  /** Ingests of one activity, each against one single-row upsert. */
  ingests: number
}

const sizes: Record<Mode, AcwrSizes> = {
  smoke: { athletes: 20, days: 120, loopAthletes: 2, rounds: 1, ingests: 5 },
  quick: { athletes: 100, days: 730, loopAthletes: 3, rounds: 2, ingests: 50 },
  full: { athletes: 1000, days: 730, loopAthletes: 20, rounds: 3, ingests: 200 }
}

const INGEST_WARMUP = 10

/** Sums a side's samples by name over the rounds, for throughput figures. */
const total = (values: number[]) => values.reduce((sum, value) => sum + value, 0)

interface RecomputeSamples {
  recompute: number[]
  /** The same recompute with one batch at a time, as before batches ran concurrently. */
  serial: number[]
  floor: number[]
  /** The floor into a copy with the foreign key to athletes that acwr_daily no longer has. */
  floorWithKey: number[]
  unchanged: number[]
  loop: number[]
}

/**
 * In turn, each round: a full recompute into an emptied acwr_daily, batches in parallel as
 * configured, then one at a time; the floor (INSERT … SELECT of the same rows into an empty
 * copy), without and with a foreign key to athletes; the same recompute over the unchanged rows,
 * and the per-date loop on a subset. Emptying a table is not timed. A first recompute, not
 * recorded, fills the rows the floor copies.
 */
async function measureRecomputes (db: Database, context: SuiteContext, size: AcwrSizes, loopIds: number[]): Promise<{ samples: RecomputeSamples, days: number, loopDays: number }> {
  const settings = { from: null, batchSize: context.config.ACWR_BATCH_ATHLETES }
  const recomputeAll = () => recalculateAcwr(db, { ...settings, concurrency: context.config.ACWR_RECOMPUTE_CONCURRENCY })
  const { days } = await recomputeAll()
  await sql`create table bench_acwr_source as select * from acwr_daily order by athlete_id, day`.execute(db)
  await sql`insert into bench_acwr_floor select * from bench_acwr_source`.execute(db)
  const copyInto = (table: string) => async () => {
    await sql`truncate ${sql.table(table)}`.execute(db)
    return timed(() => sql`insert into ${sql.table(table)} select * from bench_acwr_source`.execute(db))
  }
  let loopDays = 0
  const samples = await alternate({
    recompute: async () => {
      await sql`truncate acwr_daily`.execute(db)
      return timed(recomputeAll)
    },
    serial: async () => {
      await sql`truncate acwr_daily`.execute(db)
      return timed(() => recalculateAcwr(db, { ...settings, concurrency: 1 }))
    },
    floor: copyInto('bench_acwr_floor'),
    floorWithKey: copyInto('bench_acwr_floor_keyed'),
    unchanged: () => timed(recomputeAll),
    loop: async () => {
      await sql`truncate bench_acwr_loop`.execute(db)
      return timed(async () => { loopDays = await recomputeWithLoop(db, loopIds) })
    }
  }, { warmup: 0, rounds: size.rounds, progress: context.progress('acwr: recompute', size.rounds) })
  return { samples, days, loopDays }
}

async function recomputeCases (db: Database, context: SuiteContext, size: AcwrSizes, ids: number[]): Promise<CaseOutcome[]> {
  const loopIds = ids.slice(0, size.loopAthletes)
  const { samples, days, loopDays } = await measureRecomputes(db, context, size, loopIds)
  const check = await compareLoopWithEngine(db)
  const recomputeMs = median(samples.recompute)
  const loopMsPerDay = median(samples.loop) / loopDays
  const fleet = `${size.athletes.toLocaleString('en-US')} athletes × ${size.days} days`
  const concurrency = context.config.ACWR_RECOMPUTE_CONCURRENCY
  const perSecond = (rows: number, ms: number[]) => ({ value: 1000 * rows * ms.length / total(ms), unit: 'athlete-days/s' })
  return [
    measured({
      case: `full ACWR recompute, ${fleet}, into an empty acwr_daily, ${concurrency} batches at a time`,
      medianMs: recomputeMs,
      runs: samples.recompute.length,
      throughput: perSecond(days, samples.recompute),
      ratio: { value: recomputeMs / median(samples.floor), unit: 'x', of: 'recompute ms / INSERT … SELECT ms' },
      target: atMost(2, 'x'),
      details: { athleteDays: days, batchAthletes: context.config.ACWR_BATCH_ATHLETES, concurrency }
    }),
    measured({
      case: `full ACWR recompute, ${fleet}, one batch at a time (concurrency 1)`,
      medianMs: median(samples.serial),
      runs: samples.serial.length,
      throughput: perSecond(days, samples.serial),
      ratio: { value: median(samples.serial) / recomputeMs, unit: 'x', of: `concurrency 1 ms / concurrency ${concurrency} ms` },
      details: { athleteDays: days, floorRatio: median(samples.serial) / median(samples.floor) }
    }),
    measured({
      case: `floor: INSERT … SELECT of the same ${days.toLocaleString('en-US')} rows into an empty copy of acwr_daily`,
      medianMs: median(samples.floor),
      runs: samples.floor.length,
      throughput: perSecond(days, samples.floor),
      note: 'the copy has acwr_daily\'s columns, defaults and primary key; no foreign key'
    }),
    measured({
      case: 'the same INSERT … SELECT into a copy with a foreign key to athletes, as acwr_daily had until it was dropped',
      medianMs: median(samples.floorWithKey),
      runs: samples.floorWithKey.length,
      throughput: perSecond(days, samples.floorWithKey),
      ratio: { value: median(samples.floorWithKey) / median(samples.floor), unit: 'x', of: 'with the key ms / without ms' },
      details: { keyAsPercentOfRecompute: 100 * (median(samples.floorWithKey) - median(samples.floor)) / recomputeMs },
      note: 'the per-row check the recompute no longer pays; keyAsPercentOfRecompute is what it would add, as a share of the recompute'
    }),
    measured({
      case: `full ACWR recompute, ${fleet}, over unchanged rows`,
      medianMs: median(samples.unchanged),
      runs: samples.unchanged.length,
      throughput: perSecond(days, samples.unchanged),
      details: { athleteDays: days }
    }),
    measured({
      case: `old per-athlete, per-date loop (5 queries per date), ${loopIds.length} athletes`,
      medianMs: median(samples.loop),
      runs: samples.loop.length,
      throughput: perSecond(loopDays, samples.loop),
      ratio: { value: loopMsPerDay / (recomputeMs / days), unit: 'x', of: 'loop ms per athlete-day / recompute ms per athlete-day' },
      target: atLeast(200, 'x'),
      details: { athleteDays: loopDays, queries: 5 * loopDays, rowsCompared: check.compared, rowsDifferingFromEngine: check.differing },
      note: check.differing > 0 ? `the loop's values differ from the engine's on ${check.differing} of ${check.compared} rows` : undefined
    })
  ]
}

/**
 * One new activity today for an athlete with the fleet's history, through the service:
 * transaction, athlete lock, upsert, and the ACWR update from that day. Against it, a
 * single-row upsert into activities through the same pool, in turn.
 */
async function ingestCases (db: Database, context: SuiteContext, size: AcwrSizes, ids: number[]): Promise<CaseOutcome[]> {
  const today = new Date().toISOString().slice(0, 10)
  const ingestAthletes = ids.slice(0, -1)
  const floorAthlete = ids.at(-1)!
  let next = 0
  const activity = () => ({
    id: 10_000_000 + next++,
    sportType: 'Run',
    startDateLocal: `${today}T18:30:00`,
    movingTimeS: 2400,
    distanceM: 8000,
    elevationGainM: 60,
    averageHeartrate: 148
  })
  const samples = await alternate({
    ingest: () => timed(() => upsertActivities(db, ingestAthletes[next % ingestAthletes.length]!, [activity()])),
    upsert: () => {
      const { id, startDateLocal } = activity()
      return timed(() => sql`
        insert into activities (athlete_id, id, day, start_date_local, name, sport_type, moving_time_s, external_load, trimp)
        values (${floorAthlete}, ${id}, ${startDateLocal}::timestamp::date, ${startDateLocal}::timestamp, 'Bench run', 'Run', 2400, 5.2, 61.5)
        on conflict (athlete_id, id) do update set moving_time_s = excluded.moving_time_s, updated_at = now()
      `.execute(db))
    }
  }, { warmup: INGEST_WARMUP, rounds: size.ingests, progress: context.progress('acwr: ingest', size.ingests) })
  const throughput = (ms: number[]) => ({ value: 1000 * ms.length / total(ms), unit: 'writes/s, one at a time' })
  return [
    measured({
      case: `floor: single-row upsert into activities, one round trip, ${size.ingests} times`,
      medianMs: median(samples.upsert),
      p99Ms: percentile(samples.upsert, 99),
      runs: samples.upsert.length,
      throughput: throughput(samples.upsert)
    }),
    measured({
      case: `ingest one activity with ${size.days} days of history, ACWR update included, ${size.ingests} times`,
      medianMs: median(samples.ingest),
      p99Ms: percentile(samples.ingest, 99),
      runs: samples.ingest.length,
      throughput: throughput(samples.ingest),
      ratio: { value: median(samples.ingest) / median(samples.upsert), unit: 'x', of: 'ingest median ms / upsert median ms' },
      target: atMost(10, 'x'),
      details: { athletes: ingestAthletes.length }
    })
  ]
}

export const acwrSuite: Suite = {
  name: 'acwr',
  summary: 'full ACWR recompute against INSERT … SELECT and the per-date loop; one-activity ingest against a single-row upsert',
  run: async context => {
    const size = sizes[context.mode]
    const { db } = createDatabase(context.databaseUrl, context.config, err => context.log(`acwr: idle connection lost: ${err.message}`))
    try {
      const progress = context.progress('acwr: fleet', size.athletes)
      const ids = await buildFleet(db, size.athletes, size.days, done => progress.update(done))
      progress.stop()
      await createAcwrCopies(db)
      return [...await recomputeCases(db, context, size, ids), ...await ingestCases(db, context, size, ids)]
    } finally {
      await db.destroy()
    }
  }
}
