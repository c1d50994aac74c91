import { upsertActivities } from '../../src/activities/service.ts'
import { upsertAthletes } from '../../src/athletes/service.ts'
import { createDatabase, type Database } from '../../src/db/database.ts'
import { alternate, atLeast, measured, median, timed, type CaseOutcome, type Mode, type Suite, type SuiteContext } from '../harness.ts'
import { activityHistory } from './api-fixtures.ts'
import { copyIntoStaging, createStagingTable, emptyTables, upsertRowByRow, upsertRowsOnly } from './activities-ingest.ts'

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

async function measureIngest (context: SuiteContext, size: ActivitySizes) {
  const { db, pool } = createDatabase(context.databaseUrl, context.config, err => context.log(`activities: idle connection lost: ${err.message}`))
  try {
    await createStagingTable(db)
    const workload = await prepareWorkload(db, size)
    const subset = workload.activities.slice(0, size.rowByRow)
    const samples = await alternate({
      rowByRow: fromEmpty(db, () => upsertRowByRow(db, workload.athleteIds[0]!, subset)),
      batch: fromEmpty(db, inRequestChunks(workload, (athleteId, chunk) => upsertActivities(db, athleteId, chunk))),
      rowsOnly: fromEmpty(db, inRequestChunks(workload, (athleteId, chunk) => upsertRowsOnly(db, athleteId, chunk))),
      copy: fromEmpty(db, async () => {
        for (const athleteId of workload.athleteIds) await copyIntoStaging(pool, athleteId, workload.activities)
      })
    }, { warmup: size.warmup, rounds: size.rounds, settleMs: SETTLE_MS, progress: context.progress('activities: upsert', size.rounds) })
    await emptyTables(db)
    return { workload, samples }
  } finally {
    await db.destroy()
  }
}

export const activitiesSuite: Suite = {
  name: 'activities',
  summary: 'upserting activities row by row, through trainload\'s batch path, and by COPY into a staging table',
  run: async context => {
    const size = sizes[context.mode]
    const { workload, samples } = await measureIngest(context, size)
    return activityCases(size, workload.total, samples)
  }
}

function activityCases (size: ActivitySizes, total: number, samples: Record<'rowByRow' | 'batch' | 'rowsOnly' | 'copy', number[]>): CaseOutcome[] {
  const rowByRowMs = median(samples.rowByRow) * total / size.rowByRow
  const ms = { rowByRow: rowByRowMs, batch: median(samples.batch), rowsOnly: median(samples.rowsOnly), copy: median(samples.copy) }
  const rate = (side: keyof typeof ms) => 1000 * total / ms[side]
  const rows = (side: keyof typeof ms) => ({ value: rate(side), unit: 'rows/s' })
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
      details: { ...details, percentOfCopy: 100 * rate('batch') / rate('copy') },
      note: 'the whole PUT /activities path: lock, loads, one unnest upsert, then ACWR brought up to date from the earliest day, in one transaction'
    }),
    measured({
      case: `batch rows only: the same upsert statement without the ACWR update, ${shape}`,
      medianMs: ms.rowsOnly,
      runs: size.rounds,
      throughput: rows('rowsOnly'),
      ratio: { value: 100 * rate('rowsOnly') / rate('copy'), unit: '%', of: 'batch rows/s / COPY rows/s' },
      target: atLeast(50, '%'),
      details: { ...details, timesRowByRow: rate('rowsOnly') / rate('rowByRow') },
      note: 'compared with COPY like for like: both only store the rows'
    }),
    measured({
      case: `floor: COPY FROM STDIN into a staging table without keys or indexes, ${shape}`,
      medianMs: ms.copy,
      runs: size.rounds,
      throughput: rows('copy'),
      details
    })
  ]
}
