import { gzipSync } from 'node:zlib'
import { Encoder, Profile, type ActivityMesg, type FileIdMesg, type RecordMesg } from '@garmin/fitsdk'
import yazl from 'yazl'

/** Builders for Strava account exports, made in the test so no large file is committed. */

/** The columns of an English export's activities.csv, in order, names repeated as Strava repeats them. */
export const EXPORT_HEADER = [
  'Activity ID', 'Activity Date', 'Activity Name', 'Activity Type', 'Activity Description', 'Elapsed Time', 'Distance',
  'Max Heart Rate', 'Relative Effort', 'Commute', 'Activity Private Note', 'Activity Gear', 'Filename', 'Athlete Weight',
  'Bike Weight', 'Elapsed Time', 'Moving Time', 'Distance', 'Max Speed', 'Average Speed', 'Elevation Gain', 'Elevation Loss',
  'Elevation Low', 'Elevation High', 'Max Grade', 'Average Grade', 'Average Positive Grade', 'Average Negative Grade',
  'Max Cadence', 'Average Cadence', 'Max Heart Rate', 'Average Heart Rate', 'Max Watts', 'Average Watts', 'Calories',
  'Max Temperature', 'Average Temperature', 'Relative Effort', 'Total Work', 'Number of Runs', 'Uphill Time',
  'Downhill Time', 'Other Time', 'Perceived Exertion', 'Type', 'Start Time', 'Weighted Average Power', 'Power Count',
  'Prefer Perceived Exertion', 'Perceived Relative Effort', 'Commute', 'Total Weight Lifted', 'From Upload',
  'Grade Adjusted Distance'
]

export interface ExportActivity {
  id: number | string
  /** The Activity Date text, as the export writes it. */
  date: string
  name?: string
  type: string
  movingTimeS: number
  /** Elapsed time, which the export also carries; longer than the moving time. */
  elapsedTimeS?: number
  distanceM?: number
  elevationGainM?: number
  averageHeartrate?: number
  maxHeartrate?: number
  perceivedEffort?: number
  filename?: string
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December']
const two = (n: number) => String(n).padStart(2, '0')

/** `May 9, 2023, 10:09:29 AM`, as an en-US export writes a UTC instant. */
export function usDate (instant: Date): string {
  const hour = instant.getUTCHours()
  const h12 = hour % 12 === 0 ? 12 : hour % 12
  const month = MONTH_NAMES[instant.getUTCMonth()]!.slice(0, 3)
  return `${month} ${instant.getUTCDate()}, ${instant.getUTCFullYear()}, ${h12}:${two(instant.getUTCMinutes())}:${two(instant.getUTCSeconds())} ${hour < 12 ? 'AM' : 'PM'}`
}

/** `24 Dec 2020, 08:13:59`, as an en-GB export writes a UTC instant. */
export function gbDate (instant: Date): string {
  return `${instant.getUTCDate()} ${MONTHS[instant.getUTCMonth()]} ${instant.getUTCFullYear()}, ${two(instant.getUTCHours())}:${two(instant.getUTCMinutes())}:${two(instant.getUTCSeconds())}`
}

const quoted = (value: string | number | undefined) => {
  const text = value === undefined ? '' : String(value)
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

/**
 * One row in Strava's layout: the first Distance in km and the later one in metres, the
 * first Elapsed Time and Max Heart Rate for display, the later ones in base units.
 */
function exportRow (activity: ExportActivity): string {
  const cells: Record<number, string | number | undefined> = {
    0: activity.id,
    1: activity.date,
    2: activity.name ?? `Activity ${activity.id}`,
    3: activity.type,
    5: activity.elapsedTimeS ?? activity.movingTimeS + 60,
    6: activity.distanceM === undefined ? '' : (activity.distanceM / 1000).toFixed(2),
    7: activity.maxHeartrate,
    9: 'false',
    12: activity.filename,
    15: (activity.elapsedTimeS ?? activity.movingTimeS + 60).toFixed(1),
    16: activity.movingTimeS.toFixed(1),
    17: activity.distanceM?.toFixed(1),
    20: activity.elevationGainM?.toFixed(1),
    30: activity.maxHeartrate?.toFixed(1),
    31: activity.averageHeartrate?.toFixed(1),
    43: activity.perceivedEffort
  }
  return EXPORT_HEADER.map((_, index) => quoted(cells[index])).join(',')
}

export function activitiesCsv (activities: ExportActivity[], header: string[] = EXPORT_HEADER): string {
  return [header.map(quoted).join(','), ...activities.map(exportRow)].join('\n') + '\n'
}

const SEMICIRCLES_PER_DEGREE = 2 ** 31 / 180
/** Seconds from the Unix epoch to the FIT epoch, 1989-12-31T00:00:00Z. */
const FIT_EPOCH_S = 631_065_600

/** A FIT activity file, written with Garmin's SDK: a few records at a position, or (indoor) none with a local-time offset. */
export function fitFile (start: Date, where: { lat: number, lon: number } | { offsetS: number }): Buffer {
  const encoder = new Encoder()
  const fitSeconds = Math.round(start.getTime() / 1000) - FIT_EPOCH_S
  const fileId: FileIdMesg = { type: 'activity', manufacturer: 'development', product: 0, timeCreated: start, serialNumber: 1 }
  encoder.onMesg(Profile.MesgNum.FILE_ID!, fileId)
  if ('lat' in where) {
    for (let i = 0; i < 3; i++) {
      const record: RecordMesg = {
        timestamp: new Date(start.getTime() + i * 1000),
        positionLat: Math.round((where.lat + i * 1e-4) * SEMICIRCLES_PER_DEGREE),
        positionLong: Math.round(where.lon * SEMICIRCLES_PER_DEGREE),
        heartRate: 140
      }
      encoder.onMesg(Profile.MesgNum.RECORD!, record)
    }
  }
  const activity: ActivityMesg = {
    timestamp: start,
    localTimestamp: fitSeconds + ('offsetS' in where ? where.offsetS : 0),
    numSessions: 1,
    type: 'manual'
  }
  encoder.onMesg(Profile.MesgNum.ACTIVITY!, activity)
  return Buffer.from(encoder.close())
}

export function gpxFile (start: Date, lat: number, lon: number): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<gpx creator="trainload test" version="1.1" xmlns="http://www.topografix.com/GPX/1/1">
 <metadata><time>${start.toISOString()}</time></metadata>
 <trk><name>Track</name><type>running</type><trkseg>
  <trkpt lat="${lat}" lon="${lon}"><ele>10.0</ele><time>${start.toISOString()}</time></trkpt>
  <trkpt lat="${lat + 0.001}" lon="${lon}"><ele>11.0</ele><time>${new Date(start.getTime() + 5000).toISOString()}</time></trkpt>
 </trkseg></trk>
</gpx>
`
}

export function tcxFile (start: Date, lat: number, lon: number): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2">
 <Activities><Activity Sport="Other"><Id>${start.toISOString()}</Id>
  <Lap StartTime="${start.toISOString()}"><Track>
   <Trackpoint><Time>${start.toISOString()}</Time></Trackpoint>
   <Trackpoint><Time>${start.toISOString()}</Time><Position><LatitudeDegrees>${lat}</LatitudeDegrees><LongitudeDegrees>${lon}</LongitudeDegrees></Position></Trackpoint>
  </Track></Lap>
 </Activity></Activities>
</TrainingCenterDatabase>
`
}

export const gzip = (content: string | Buffer) => gzipSync(content)

/** A zip archive of the given files, as Strava's export packs them. */
export function zipArchive (files: Record<string, string | Buffer>): Promise<Buffer> {
  const zip = new yazl.ZipFile()
  for (const [name, content] of Object.entries(files)) zip.addBuffer(Buffer.from(content), name)
  zip.end()
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    zip.outputStream.on('data', (chunk: Buffer) => chunks.push(chunk))
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)))
    zip.outputStream.on('error', reject)
  })
}

/** A UTC instant `days` days before today at a time of day. */
export function utcDaysAgo (days: number, hour: number, minute = 0): Date {
  const now = new Date()
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - days, hour, minute))
}
