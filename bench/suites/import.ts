import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { upsertActivities } from '../../src/activities/service.ts'
import { upsertAthletes } from '../../src/athletes/service.ts'
import { createDatabase, type Database } from '../../src/db/database.ts'
import { importExport } from '../../src/imports/service.ts'
import { alternate, atLeast, measured, median, timed, type Mode, type Suite } from '../harness.ts'
import { activityHistory } from './api-fixtures.ts'
import { emptyTables, createStagingTables } from './activities-ingest.ts'

interface ImportSizes { rows: number, rounds: number, warmup: number }

const sizes: Record<Mode, ImportSizes> = {
  smoke: { rows: 500, rounds: 1, warmup: 0 },
  quick: { rows: 10_000, rounds: 3, warmup: 1 },
  full: { rows: 50_000, rounds: 3, warmup: 1 }
}

/** The most activities one `PUT /api/athletes/:athleteId/activities` body takes. */
const ACTIVITIES_PER_REQUEST = 10_000
const DAYS_PER_ACTIVITY = 1.25
const SETTLE_MS = 200

const HEADER = ['Activity ID', 'Activity Date', 'Activity Name', 'Activity Type', 'Elapsed Time', 'Distance', 'Max Heart Rate',
  'Filename', 'Elapsed Time', 'Moving Time', 'Distance', 'Elevation Gain', 'Max Heart Rate', 'Average Heart Rate']
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** An en-GB export date of a UTC wall-clock time: the bench athlete's timezone is UTC, so local and UTC agree. */
function exportDate (startDateLocal: string): string {
  const [day, time] = startDateLocal.split('T') as [string, string]
  const [year, month, date] = day.split('-')
  return `${Number(date)} ${MONTHS[Number(month) - 1]} ${year}, ${time}`
}

type BenchActivity = ReturnType<typeof activityHistory>[number]

/** activities.csv of a history in Strava's layout, display and base columns both filled. */
function exportCsv (activities: BenchActivity[]): string {
  const lines = activities.map(a => [
    a.id, `"${exportDate(a.startDateLocal)}"`, `${a.sportType} ${a.id}`, a.sportType, a.movingTimeS, (a.distanceM / 1000).toFixed(2),
    a.maxHeartrate, '', a.movingTimeS.toFixed(1), a.movingTimeS.toFixed(1), a.distanceM.toFixed(1), a.elevationGainM.toFixed(1),
    a.maxHeartrate.toFixed(1), a.averageHeartrate.toFixed(1)
  ].join(','))
  return [HEADER.join(','), ...lines].join('\n') + '\n'
}

async function prepare (db: Database, size: ImportSizes, dir: string) {
  const today = new Date().toISOString().slice(0, 10)
  const activities = activityHistory(today, Math.ceil(size.rows * DAYS_PER_ACTIVITY)).slice(-size.rows)
    .map(activity => ({ ...activity, name: `${activity.sportType} ${activity.id}` }))
  const [athlete] = await upsertAthletes(db, [{ stravaAthleteId: 810_000_000, name: 'Import athlete', timezone: 'UTC' }])
  const csvPath = join(dir, 'activities.csv')
  await writeFile(csvPath, exportCsv(activities))
  return { athleteId: athlete!.id, activities, csvPath }
}

export const importSuite: Suite = {
  name: 'import',
  summary: 'importing a Strava export\'s activities.csv, against the same activities through the PUT /activities batch path',
  run: async context => {
    const size = sizes[context.mode]
    const dir = await mkdtemp(join(tmpdir(), 'trainload-bench-import-'))
    const { db } = createDatabase(context.databaseUrl, context.config, err => context.log(`import: idle connection lost: ${err.message}`))
    try {
      await createStagingTables(db)
      const { athleteId, activities, csvPath } = await prepare(db, size, dir)
      const samples = await alternate({
        importCsv: async () => {
          await emptyTables(db)
          return timed(() => importExport(db, athleteId, csvPath, 'csv'))
        },
        batch: async () => {
          await emptyTables(db)
          return timed(async () => {
            for (let start = 0; start < activities.length; start += ACTIVITIES_PER_REQUEST) {
              await upsertActivities(db, athleteId, activities.slice(start, start + ACTIVITIES_PER_REQUEST))
            }
          })
        }
      }, { warmup: size.warmup, rounds: size.rounds, settleMs: SETTLE_MS, progress: context.progress('import: rows', size.rounds) })
      const rate = (ms: number) => 1000 * size.rows / ms
      const importRate = rate(median(samples.importCsv))
      const batchRate = rate(median(samples.batch))
      const shape = `${size.rows.toLocaleString('en-US')} rows, one athlete`
      return [
        measured({
          case: `import: activities.csv parsed, checked and upserted in one transaction with the ACWR update, ${shape}`,
          medianMs: median(samples.importCsv),
          runs: size.rounds,
          throughput: { value: importRate, unit: 'rows/s' },
          ratio: { value: 100 * importRate / batchRate, unit: '%', of: 'import rows/s / batch rows/s' },
          target: atLeast(50, '%'),
          details: { rows: size.rows },
          note: 'streaming CSV parse, date and zone conversion, validation per row, then the batch path in chunks of 2,000'
        }),
        measured({
          case: `batch: upsertActivities per ${ACTIVITIES_PER_REQUEST.toLocaleString('en-US')}-activity request, ${shape}`,
          medianMs: median(samples.batch),
          runs: size.rounds,
          throughput: { value: batchRate, unit: 'rows/s' },
          note: 'the same activities, already parsed, through the PUT /activities service call'
        })
      ]
    } finally {
      await emptyTables(db).catch(() => {})
      await db.destroy()
      await rm(dir, { recursive: true, force: true })
    }
  }
}
