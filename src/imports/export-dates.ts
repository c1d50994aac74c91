/**
 * The dates of a Strava account export's activities.csv. They are UTC wall-clock times with
 * no zone, written in the export's language variant: `May 9, 2023, 10:09:29 AM` (en-US) or
 * `24 Dec 2020, 08:13:59` (en-GB).
 */

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec']

const EN_US = /^([A-Za-z]{3,9})\.? (\d{1,2}),? (\d{4}),? (\d{1,2}):(\d{2}):(\d{2}) ?([AaPp][Mm])$/
const EN_GB = /^(\d{1,2}) ([A-Za-z]{3,9})\.? (\d{4}),? (\d{1,2}):(\d{2}):(\d{2})$/
const ISO = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})Z?$/

const monthIndex = (name: string) => MONTHS.indexOf(name.slice(0, 3).toLowerCase())

function utc (year: number, month: number, day: number, hour: number, minute: number, second: number): Date | null {
  if (month < 0 || hour > 23 || minute > 59 || second > 59) return null
  const date = new Date(Date.UTC(year, month, day, hour, minute, second))
  // Date.UTC rolls 31 April over to 1 May; such a day does not exist.
  return date.getUTCDate() === day && date.getUTCMonth() === month ? date : null
}

/** The UTC instant of an export date, or null when it is in neither format. */
export function parseExportDate (text: string): Date | null {
  const value = text.trim().replace(/\s+/g, ' ')
  let match = EN_US.exec(value)
  if (match) {
    const [, month, day, year, hour, minute, second, meridiem] = match
    const h12 = Number(hour)
    if (h12 < 1 || h12 > 12) return null
    const h24 = (h12 % 12) + (meridiem!.toUpperCase() === 'PM' ? 12 : 0)
    return utc(Number(year), monthIndex(month!), Number(day), h24, Number(minute), Number(second))
  }
  match = EN_GB.exec(value)
  if (match) {
    const [, day, month, year, hour, minute, second] = match
    return utc(Number(year), monthIndex(month!), Number(day), Number(hour), Number(minute), Number(second))
  }
  match = ISO.exec(value)
  if (match) {
    const [, year, month, day, hour, minute, second] = match
    return utc(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second))
  }
  return null
}

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatterFor (timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone)
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit'
    })
    formatters.set(timeZone, formatter)
  }
  return formatter
}

/** The wall-clock time `2026-03-01T07:30:00` an instant shows in an IANA zone. */
export function localWallTime (instant: Date, timeZone: string): string {
  const parts = Object.fromEntries(formatterFor(timeZone).formatToParts(instant).map(part => [part.type, part.value]))
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}`
}

/** The wall-clock time an instant shows at a fixed offset from UTC. */
export function offsetWallTime (instant: Date, offsetS: number): string {
  return new Date(instant.getTime() + offsetS * 1000).toISOString().slice(0, 19)
}
