import type { Readable } from 'node:stream'
import { httpErrors } from '@fastify/sensible'
import { CsvError, parse } from 'csv-parse'
import { parseExportDate } from './export-dates.ts'
import { sportTypeOf } from './sport-types.ts'

/** One activity as the export's activities.csv states it, in base units. */
export interface ExportRow {
  /** The record's number in the file, the header being 1: the row a spreadsheet shows. */
  row: number
  activityId: number
  startDate: Date
  name: string | null
  sportType: string
  movingTimeS: number
  distanceM: number | null
  elevationGainM: number | null
  averageHeartrate: number | null
  maxHeartrate: number | null
  perceivedEffort: number | null
  /** The activity's file inside the archive, such as `activities/1234.fit.gz`. */
  filename: string | null
}

export interface SkippedRow {
  row: number
  activityId: number | null
  reason: string
}

type Column = 'activityId' | 'date' | 'name' | 'type' | 'elapsedTime' | 'movingTime' | 'distance' | 'elevationGain' |
  'averageHeartRate' | 'maxHeartRate' | 'perceivedExertion' | 'filename'

/** The header names trainload reads, compared without case or extra spaces. */
const COLUMN_NAMES: Record<string, Column> = {
  'activity id': 'activityId',
  'activity date': 'date',
  'activity name': 'name',
  'activity type': 'type',
  'elapsed time': 'elapsedTime',
  'moving time': 'movingTime',
  distance: 'distance',
  'elevation gain': 'elevationGain',
  'average heart rate': 'averageHeartRate',
  'max heart rate': 'maxHeartRate',
  'maximum heart rate': 'maxHeartRate',
  'perceived exertion': 'perceivedExertion',
  filename: 'filename'
}
const REQUIRED: Array<[Column, string]> = [['activityId', 'Activity ID'], ['date', 'Activity Date'], ['type', 'Activity Type']]

interface ColumnMap {
  positions: Partial<Record<Column, number>>
  /** Whether Distance is the display column in kilometres: a file with only one Distance. */
  distanceInKm: boolean
}

const normalized = (header: string) => header.replace(/^\uFEFF/, '').trim().replace(/\s+/g, ' ').toLowerCase()

/**
 * Where each column is. Strava's export repeats several names (Elapsed Time, Distance, Max
 * Heart Rate, Relative Effort, Commute): the first of each is the value shown in the app, in
 * display units (Distance in km), the later one the value in base units (Distance in m). The
 * last position of a name is therefore the one read.
 */
export function mapHeader (header: string[]): ColumnMap {
  const positions: Partial<Record<Column, number>> = {}
  const counts: Partial<Record<Column, number>> = {}
  const unknown: string[] = []
  header.forEach((name, index) => {
    const column = COLUMN_NAMES[normalized(name)]
    if (column === undefined) {
      unknown.push(name.trim())
      return
    }
    positions[column] = index
    counts[column] = (counts[column] ?? 0) + 1
  })
  const missing = REQUIRED.filter(([column]) => positions[column] === undefined).map(([, name]) => `"${name}"`)
  if (positions.movingTime === undefined && positions.elapsedTime === undefined) missing.push('"Moving Time" or "Elapsed Time"')
  if (missing.length > 0) {
    const shown = unknown.slice(0, 5).map(name => `"${name}"`).join(', ')
    throw httpErrors.badRequest(`activities.csv: the header has no ${missing.join(', ')} column` +
      (shown ? `; it cannot map ${shown}${unknown.length > 5 ? ` and ${unknown.length - 5} more` : ''}` : '') +
      '. Request the export with English as the account language.')
  }
  return { positions, distanceInKm: counts.distance === 1 }
}

class RowProblem extends Error {}

function numberAt (record: string[], map: ColumnMap, column: Column, label: string): number | null {
  const position = map.positions[column]
  const text = position === undefined ? '' : (record[position] ?? '').trim()
  if (text === '') return null
  if (!/^-?\d+(\.\d+)?$/.test(text)) throw new RowProblem(`${label} "${text.slice(0, 40)}" is not a number`)
  return Number(text)
}

const textAt = (record: string[], map: ColumnMap, column: Column): string => {
  const position = map.positions[column]
  return position === undefined ? '' : (record[position] ?? '').trim()
}

/** A positive value, or null: the export writes 0 or nothing where a sensor recorded nothing. */
const measured = (value: number | null) => value !== null && value > 0 ? value : null

function readRow (record: string[], row: number, map: ColumnMap): ExportRow {
  const date = textAt(record, map, 'date')
  const startDate = parseExportDate(date)
  if (!startDate) throw new RowProblem(`Activity Date "${date.slice(0, 40)}" is not a date like "May 9, 2023, 10:09:29 AM" or "24 Dec 2020, 08:13:59"`)
  const type = textAt(record, map, 'type')
  if (type === '') throw new RowProblem('Activity Type is empty')
  const moving = measured(numberAt(record, map, 'movingTime', 'Moving Time')) ?? numberAt(record, map, 'elapsedTime', 'Elapsed Time')
  if (moving === null) throw new RowProblem('neither Moving Time nor Elapsed Time is given')
  const distance = numberAt(record, map, 'distance', 'Distance')
  const effort = numberAt(record, map, 'perceivedExertion', 'Perceived Exertion')
  return {
    row,
    activityId: 0,
    startDate,
    name: textAt(record, map, 'name').replaceAll('\u0000', '').slice(0, 500) || null,
    sportType: sportTypeOf(type),
    movingTimeS: Math.round(moving),
    distanceM: distance === null ? null : map.distanceInKm ? distance * 1000 : distance,
    elevationGainM: numberAt(record, map, 'elevationGain', 'Elevation Gain'),
    averageHeartrate: measured(numberAt(record, map, 'averageHeartRate', 'Average Heart Rate')),
    maxHeartrate: measured(numberAt(record, map, 'maxHeartRate', 'Max Heart Rate')),
    perceivedEffort: effort === null || effort < 1 || effort > 10 ? null : Math.round(effort),
    filename: textAt(record, map, 'filename') || null
  }
}

function activityIdOf (record: string[], map: ColumnMap): number | null {
  const text = textAt(record, map, 'activityId')
  const id = /^\d{1,16}$/.test(text) ? Number(text) : NaN
  return Number.isSafeInteger(id) && id > 0 ? id : null
}

/**
 * Reads activities.csv as a stream of records. Rows that cannot be read are returned with
 * their row number and the reason, never guessed at; an id seen before is skipped too, so the
 * first row of an id wins. A header that cannot be mapped is a 400 before any row is read.
 */
export async function readActivitiesCsv (input: Readable, onRow?: (rows: number) => void): Promise<{ rows: ExportRow[], skipped: SkippedRow[] }> {
  const parser = input.pipe(parse({ bom: true, relax_column_count: true, skip_empty_lines: true, max_record_size: 1 << 20 }))
  const rows: ExportRow[] = []
  const skipped: SkippedRow[] = []
  const firstRowOf = new Map<number, number>()
  let map: ColumnMap | undefined
  let row = 0
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      row++
      if (!map) {
        map = mapHeader(record)
        continue
      }
      const activityId = activityIdOf(record, map)
      if (activityId === null) {
        skipped.push({ row, activityId: null, reason: `Activity ID "${textAt(record, map, 'activityId').slice(0, 40)}" is not a Strava activity id` })
        continue
      }
      const first = firstRowOf.get(activityId)
      if (first !== undefined) {
        skipped.push({ row, activityId, reason: `activity ${activityId} appears again; row ${first} was imported` })
        continue
      }
      try {
        rows.push({ ...readRow(record, row, map), activityId })
        firstRowOf.set(activityId, row)
      } catch (err) {
        if (!(err instanceof RowProblem)) throw err
        skipped.push({ row, activityId, reason: err.message })
      }
      if (row % 500 === 0) onRow?.(row - 1)
    }
  } catch (err) {
    if (err instanceof CsvError) throw httpErrors.badRequest(`activities.csv: row ${row + 1} is not valid CSV (${(err as Error).message})`)
    throw err
  }
  if (!map) throw httpErrors.badRequest('activities.csv is empty')
  onRow?.(row - 1)
  return { rows, skipped }
}
