/**
 * One way to write dates and numbers across the dashboard. A day (`YYYY-MM-DD`) is the
 * athlete's local calendar day and is shown as such, never shifted through the browser's zone.
 */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const pad = n => String(n).padStart(2, '0')

/** "2 Dec 2026" for a `YYYY-MM-DD` day. */
export function formatDay (day) {
  if (!day) return '–'
  const [year, month, date] = day.split('-').map(Number)
  return `${date} ${MONTHS[month - 1]} ${year}`
}

/** "2 Dec 2026, 14:05" for an ISO timestamp, in the browser's own time. */
export function formatTimestamp (iso) {
  if (!iso) return 'never'
  const at = new Date(iso)
  return `${at.getDate()} ${MONTHS[at.getMonth()]} ${at.getFullYear()}, ${pad(at.getHours())}:${pad(at.getMinutes())}`
}

/** A moment soon: "14:15" when it is today here, else "3 Dec, 01:00". */
export function formatSoon (iso) {
  if (!iso) return '–'
  const at = new Date(iso)
  const time = `${pad(at.getHours())}:${pad(at.getMinutes())}`
  return at.toDateString() === new Date().toDateString() ? time : `${at.getDate()} ${MONTHS[at.getMonth()]}, ${time}`
}

/** The chart axis: "2 Dec", with the year added under January and on the first label. */
export function formatAxisDate (date, withYear) {
  return withYear ? `${date.getDate()} ${MONTHS[date.getMonth()]}\n${date.getFullYear()}` : `${date.getDate()} ${MONTHS[date.getMonth()]}`
}

/** Days are plotted at local midnight, so the time axis labels the same calendar day. */
export function dayToSeconds (day) {
  const [year, month, date] = day.split('-').map(Number)
  return new Date(year, month - 1, date).getTime() / 1000
}

export function secondsToDay (seconds) {
  const at = new Date(seconds * 1000)
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}`
}

/** The browser's local calendar day as `YYYY-MM-DD`, offset by `days`. */
export function localDay (days = 0) {
  const at = new Date()
  at.setDate(at.getDate() + days)
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}`
}

export const fixed = (value, digits = 0) => value == null || Number.isNaN(value) ? '–' : Number(value).toFixed(digits)
/** "+3.2" or "−4.0": a change or a balance, with its sign always written (a true minus sign). */
export const signed = (value, digits = 0) => value == null || Number.isNaN(value) ? '–' : `${value > 0 ? '+' : value < 0 ? '−' : ''}${Math.abs(value).toFixed(digits)}`
export const percent = value => value == null ? '–' : `${Math.round(value * 100)} %`

/** "1 h 05 min" or "42 min". */
export function formatDuration (seconds) {
  if (seconds == null) return '–'
  const minutes = Math.round(seconds / 60)
  return minutes >= 60 ? `${Math.floor(minutes / 60)} h ${pad(minutes % 60)} min` : `${minutes} min`
}

export function formatDistance (metres) {
  if (metres == null || metres === 0) return '–'
  return metres >= 1000 ? `${(metres / 1000).toFixed(1)} km` : `${Math.round(metres)} m`
}
