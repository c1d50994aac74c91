import type pg from 'pg'
import { upsertActivities } from '../../src/activities/service.ts'
import { upsertAthletes } from '../../src/athletes/service.ts'
import { createDatabase, type Database } from '../../src/db/database.ts'
import { alternate, atLeast, measured, median, timed, type CaseOutcome, type Mode, type Suite, type SuiteContext } from '../harness.ts'
import { activityHistory } from './api-fixtures.ts'
import { copyInto, createStagingTables, emptyTables, profileBatch, upsertRowByRow, upsertRowsOnly, type BatchProfile, type CopyTarget } from './activities-ingest.ts'

interface ActivitySizes {
  athletes: number
  perAthlete: number
  /** Activities timed row by row each round; that side's rate is taken on this subset. */
  rowByRow: number
  rounds: number
  warmup: number
}

const sizes: Record<Mode, ActivitySizes> = {
  smoke: { athletes: 2, perAthlete: 500, rowByRow: 100, rounds: 1, warmup: 0 },
  quick: { athletes: 1, perAthlete: 10_000, rowByRow: 250, rounds: 3, warmup: 1 },
  full: { athletes: 10, perAthlete: 10_000, rowByRow: 2_000, rounds: 3, warmup: 1 }
}

/** The most activities `PUT /api/athletes/:athleteId/activities` takes in one body (docs/api.md). */
const ACTIVITIES_PER_REQUEST = 10_000

/** activityHistory yields about 0.9 activities a day; this many days always gives enough. */
const DAYS_PER_ACTIVITY = 1.25

const SETTLE_MS = 200

interface Workload {
  athleteIds: number[]
  /** The same activities for every athlete: ids only need to be unique per athlete. */
  activities: ReturnType<typeof activityHistory>
  total: number
}

async function prepareWorkload (db: Database, size: ActivitySizes): Promise<Workload> {
  const today = new Date().toISOString().slice(0, 10)
  const history = activityHistory(today, Math.ceil(size.perAthlete * DAYS_PER_ACTIVITY))
  const athletes = await upsertAthletes(db, Array.from({ length: size.athletes }, (_, i) =>
    ({ stravaAthleteId: 800_000_000 + i, name: `Ingest athlete ${i + 1}` })))
  return {
    athleteIds: athletes.map(athlete => athlete.id),
    activities: history.slice(-size.perAthlete),
    total: size.athletes * size.perAthlete
  }
}

/** Each athlete's activities in request-sized chunks, one call each, one after another. */
const inRequestChunks = (workload: Workload, upsert: (athleteId: number, chunk: Workload['activities']) => Promise<unknown>) => async () => {
  for (const athleteId of workload.athleteIds) {
    for (let start = 0; start < workload.activities.length; start += ACTIVITIES_PER_REQUEST) {
      await upsert(athleteId, workload.activities.slice(start, start + ACTIVITIES_PER_REQUEST))
    }
  }
}

/** Every side starts from empty tables, so each one inserts; emptying them is not timed. */
const fromEmpty = (db: Database, run: () => Promise<unknown>) => async () => {
  await emptyTables(db)
  return timed(run)
}

const copyAll = (pool: pg.Pool, workload: Workload, target: CopyTarget) => async () => {
  for (const athleteId of workload.athleteIds) await copyInto(pool, target, athleteId, workload.activities)
}

type Side = 'rowByRow' | 'batch' | 'rowsOnly' | 'copyBare' | 'copyKeyed'

async function measureIngest (context: SuiteContext, size: ActivitySizes) {
  const { db, pool } = createDatabase(context.databaseUrl, context.config, err => context.log(`activities: idle connection lost: ${err.message}`))
  try {
    await createStagingTables(db)
    const workload = await prepareWorkload(db, size)
    const subset = workload.activities.slice(0, size.rowByRow)
    const samples: Record<Side, number[]> = await alternate({
      rowByRow: fromEmpty(db, () => upsertRowByRow(db, workload.athleteIds[0]!, subset)),
      batch: fromEmpty(db, inRequestChunks(workload, (athleteId, chunk) => upsertActivities(db, athleteId, chunk))),
      rowsOnly: fromEmpty(db, inRequestChunks(workload, (athleteId, chunk) => upsertRowsOnly(db, athleteId, chunk))),
      copyBare: fromEmpty(db, copyAll(pool, workload, 'bare')),
      copyKeyed: fromEmpty(db, copyAll(pool, workload, 'keyed'))
    }, { warmup: size.warmup, rounds: size.rounds, settleMs: SETTLE_MS, progress: context.progress('activities: upsert', size.rounds) })
    await emptyTables(db)
    const profile = await profileBatch(pool, db, workload.athleteIds[0]!, workload.activities.slice(0, ACTIVITIES_PER_REQUEST))
    return { workload, samples, profile }
  } finally {
    await db.destroy()
  }
}

export const activitiesSuite: Suite = {
  name: 'activities',
  summary: 'upserting activities row by row, through trainload\'s batch path, and by COPY into a bare table and into one keyed like activities',
  run: async context => {
    const size = sizes[context.mode]
    const { workload, samples, profile } = await measureIngest(context, size)
    return [...activityCases(size, workload.total, samples), profileCase(profile, Math.min(size.perAthlete, ACTIVITIES_PER_REQUEST))]
  }
}

function activityCases (size: ActivitySizes, total: number, samples: Record<Side, number[]>): CaseOutcome[] {
  const rowByRowMs = median(samples.rowByRow) * total / size.rowByRow
  const ms: Record<Side, number> = {
    rowByRow: rowByRowMs,
    batch: median(samples.batch),
    rowsOnly: median(samples.rowsOnly),
    copyBare: median(samples.copyBare),
    copyKeyed: median(samples.copyKeyed)
  }
  const rate = (side: Side) => 1000 * total / ms[side]
  const rows = (side: Side) => ({ value: rate(side), unit: 'rows/s' })
  const percentOf = (side: Side, floor: Side) => 100 * rate(side) / rate(floor)
  const shape = `${total.toLocaleString('en-US')} activities, ${size.athletes} athlete${size.athletes === 1 ? '' : 's'}`
  const details = { activities: total, athletes: size.athletes, activitiesPerCall: Math.min(size.perAthlete, ACTIVITIES_PER_REQUEST) }
  return [
    measured({
      case: `row by row: INSERT ... ON CONFLICT per activity, each in its own transaction, ${shape}`,
      medianMs: rowByRowMs,
      runs: size.rounds,
      throughput: rows('rowByRow'),
      details: { ...details, timedActivities: size.rowByRow },
      note: `timed on ${size.rowByRow.toLocaleString('en-US')} activities per round; the median and rate are scaled to ${total.toLocaleString('en-US')} per row`
    }),
    measured({
      case: `batch: upsertActivities per ${ACTIVITIES_PER_REQUEST.toLocaleString('en-US')}-activity request, with the ACWR update, ${shape}`,
      medianMs: ms.batch,
      runs: size.rounds,
      throughput: rows('batch'),
      ratio: { value: rate('batch') / rate('rowByRow'), unit: 'x', of: 'batch rows/s / row-by-row rows/s' },
      target: atLeast(30, 'x'),
      details: { ...details, percentOfKeyedCopy: percentOf('batch', 'copyKeyed'), percentOfBareCopy: percentOf('batch', 'copyBare') },
      note: 'the whole PUT /activities path: lock, loads, one unnest upsert, then ACWR brought up to date from the earliest day, in one transaction'
    }),
    measured({
      case: `batch rows only vs COPY into a table keyed like activities, ${shape}`,
      medianMs: ms.rowsOnly,
      runs: size.rounds,
      throughput: rows('rowsOnly'),
      ratio: { value: percentOf('rowsOnly', 'copyKeyed'), unit: '%', of: 'batch rows/s / keyed COPY rows/s' },
      target: atLeast(70, '%'),
      details: { ...details, timesRowByRow: rate('rowsOnly') / rate('rowByRow') },
      note: 'the upsert statement without the ACWR update, against COPY paying the same primary key, index, checks and foreign key'
    }),
    measured({
      case: `batch rows only vs COPY into a bare table, ${shape}`,
      medianMs: ms.rowsOnly,
      runs: size.rounds,
      throughput: rows('rowsOnly'),
      ratio: { value: percentOf('rowsOnly', 'copyBare'), unit: '%', of: 'batch rows/s / bare COPY rows/s' },
      details,
      note: 'the same samples as the row above, against the naive floor: no table trainload could use is this fast'
    }),
    measured({
      case: `floor: COPY FROM STDIN into a table with activities' keys, index, checks and foreign key, ${shape}`,
      medianMs: ms.copyKeyed,
      runs: size.rounds,
      throughput: rows('copyKeyed'),
      ratio: { value: percentOf('copyKeyed', 'copyBare'), unit: '%', of: 'keyed COPY rows/s / bare COPY rows/s' },
      details
    }),
    measured({
      case: `floor: COPY FROM STDIN into a bare table without keys or indexes, ${shape}`,
      medianMs: ms.copyBare,
      runs: size.rounds,
      throughput: rows('copyBare'),
      details
    })
  ]
}

const share = (part: number, whole: number) => `${Math.round(100 * part / whole)}%`

/** One batch statement under EXPLAIN ANALYZE: what each part of it costs, as shares of the whole. */
function profileCase (profile: BatchProfile, rows: number): CaseOutcome {
  const rest = profile.executionMs - profile.foreignKeyMs - profile.unnestMs - profile.previousMs
  return measured({
    case: `where the batch statement's time goes: EXPLAIN ANALYZE of one ${rows.toLocaleString('en-US')}-activity upsert into an empty table`,
    medianMs: profile.executionMs,
    runs: 1,
    details: { rows, ...profile, insertAndIndexesMs: rest },
    note: `foreign-key check ${share(profile.foreignKeyMs, profile.executionMs)} (${profile.foreignKeyCalls} calls), unnest of the arrays ${share(profile.unnestMs, profile.executionMs)}, ` +
      `lookup of previous days ${share(profile.previousMs, profile.executionMs)}, insert with its conflict probe, checks and index entries ${share(rest, profile.executionMs)}; ` +
      'EXPLAIN ANALYZE adds its own timing overhead, so the shares are the figure to read'
  })
}
