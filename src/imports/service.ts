import { createReadStream } from 'node:fs'
import type { Readable } from 'node:stream'
import { httpErrors } from '@fastify/sensible'
import { Ajv } from 'ajv'
import addFormats from 'ajv-formats'
import pLimit from 'p-limit'
import type { Database } from '../db/database.ts'
import { findAthlete } from '../db/athletes.ts'
import { ActivityInput } from '../activities/schemas.ts'
import { ingestActivityChunks, type ActivityLimits, type IngestActivity } from '../activities/service.ts'
import { writeForAthlete } from '../db/athlete-writes.ts'
import { readActivitiesCsv, type ExportRow, type SkippedRow } from './activities-csv.ts'
import { activityFileKind, zoneOfActivityFile, type FileZone } from './activity-files.ts'
import { openExportArchive, type ExportArchive } from './archive.ts'
import { localWallTime, offsetWallTime } from './export-dates.ts'

export type ImportFormat = 'zip' | 'csv'

export interface ImportResult {
  imported: number
  updated: number
  unchanged: number
  skipped: SkippedRow[]
}

export type ImportProgress = { stage: 'read', rows: number } | { stage: 'files' | 'write', done: number, total: number }

export interface ImportOptions {
  onProgress?: (progress: ImportProgress) => void
  /** Rows per upsert statement. */
  chunkSize?: number
  /** The athlete's cap on stored activities; the configuration's default when left out. */
  limits?: ActivityLimits
}

/** Activity files read at once: they come from one archive on one disk, and FIT decoding has its own thread. */
const FILE_CONCURRENCY = 4
const DEFAULT_CHUNK_SIZE = 2000

const validate = addFormats.default(new Ajv({ allErrors: false, strict: false })).compile(ActivityInput)

const COLUMN_OF_FIELD: Record<string, string> = {
  id: 'Activity ID',
  sportType: 'Activity Type',
  startDateLocal: 'Activity Date',
  movingTimeS: 'Moving Time',
  distanceM: 'Distance',
  elevationGainM: 'Elevation Gain',
  averageHeartrate: 'Average Heart Rate',
  maxHeartrate: 'Max Heart Rate',
  perceivedEffort: 'Perceived Exertion',
  name: 'Activity Name'
}

/** Why an activity cannot be stored, in the CSV's words, or null when it can. */
function problemOf (activity: IngestActivity): string | null {
  const { startDate: _, timezone: __, localTimeBasis: ___, ...fields } = activity
  if (validate(fields)) return null
  const error = validate.errors![0]!
  const field = error.instancePath.split('/')[1] ?? ''
  return `${COLUMN_OF_FIELD[field] ?? field} ${error.message ?? 'is invalid'}`
}

/**
 * The activity a row describes. The CSV's dates are UTC: the local time is the start seen in
 * the zone of the activity's own file where the archive has one with a position (or a
 * recorded offset), else in the athlete's timezone, and the row records which.
 */
function activityOf (row: ExportRow, zone: FileZone | null, athleteTimeZone: string): IngestActivity {
  const local = zone === null
    ? { startDateLocal: localWallTime(row.startDate, athleteTimeZone), timezone: athleteTimeZone, localTimeBasis: 'athlete-timezone' as const }
    : 'timeZone' in zone
      ? { startDateLocal: localWallTime(row.startDate, zone.timeZone), timezone: zone.timeZone, localTimeBasis: 'file' as const }
      : { startDateLocal: offsetWallTime(row.startDate, zone.offsetS), timezone: null, localTimeBasis: 'file' as const }
  return {
    id: row.activityId,
    sportType: row.sportType,
    movingTimeS: row.movingTimeS,
    distanceM: row.distanceM,
    elevationGainM: row.elevationGainM,
    averageHeartrate: row.averageHeartrate,
    maxHeartrate: row.maxHeartrate,
    perceivedEffort: row.perceivedEffort,
    name: row.name,
    startDate: row.startDate.toISOString(),
    ...local
  }
}

async function zonesFromFiles (rows: ExportRow[], archive: ExportArchive, options: ImportOptions): Promise<Array<FileZone | null>> {
  const limit = pLimit(FILE_CONCURRENCY)
  let done = 0
  return Promise.all(rows.map(row => limit(async () => {
    const name = row.filename
    const stream = name && activityFileKind(name) ? await archive.file(name) : undefined
    const zone = stream ? await zoneOfActivityFile(name!, stream) : null
    options.onProgress?.({ stage: 'files', done: ++done, total: rows.length })
    return zone
  })))
}

function * chunksOf<T> (items: T[], size: number): Iterable<T[]> {
  for (let start = 0; start < items.length; start += size) yield items.slice(start, start + size)
}

async function readExport (path: string, format: ImportFormat, options: ImportOptions): Promise<{ rows: ExportRow[], skipped: SkippedRow[], zones: Array<FileZone | null> }> {
  const onRow = (rows: number) => options.onProgress?.({ stage: 'read', rows })
  if (format === 'csv') {
    const { rows, skipped } = await readActivitiesCsv(createReadStream(path), onRow)
    return { rows, skipped, zones: rows.map(() => null) }
  }
  const archive = await openExportArchive(path)
  try {
    const { rows, skipped } = await readActivitiesCsv(await archive.csv() as Readable, onRow)
    return { rows, skipped, zones: await zonesFromFiles(rows, archive, options) }
  } finally {
    archive.close()
  }
}

/**
 * Imports a Strava account export (the zip, or its activities.csv alone) from a file. The
 * whole export is read and checked before the database is touched; then every activity is
 * upserted and ACWR recomputed from the earliest day touched, in one transaction under the
 * athlete's lock. A malformed archive fails before anything is written.
 */
export async function importExport (db: Database, athleteId: number, path: string, format: ImportFormat, options: ImportOptions = {}): Promise<ImportResult> {
  const athlete = await findAthlete(db, athleteId)
  if (!athlete) throw httpErrors.notFound(`athlete ${athleteId} not found`)
  const { rows, skipped, zones } = await readExport(path, format, options)
  const activities: IngestActivity[] = []
  rows.forEach((row, index) => {
    const activity = activityOf(row, zones[index]!, athlete.timezone)
    const problem = problemOf(activity)
    if (problem) skipped.push({ row: row.row, activityId: row.activityId, reason: problem })
    else activities.push(activity)
  })
  skipped.sort((a, b) => a.row - b.row)
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE
  const counts = await writeForAthlete(db, athleteId, async (trx, locked) => {
    let done = 0
    async function * reported () {
      for (const chunk of chunksOf(activities, chunkSize)) {
        yield chunk
        done += chunk.length
        options.onProgress?.({ stage: 'write', done, total: activities.length })
      }
    }
    return ingestActivityChunks(trx, locked, reported(), 'import', options.limits)
  })
  return { imported: counts.inserted, updated: counts.updated, unchanged: counts.unchanged, skipped }
}
