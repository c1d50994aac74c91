import type { IngestActivity } from '../activities/service.ts'
import { knownTimeZone } from '../time-zones.ts'
import type { StravaActivity } from './api-client.ts'

const LOCAL_DATE_TIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?Z?$/

/** Strava shows 00:00:01 when the athlete hides their start time; the date is still theirs. */
const HIDDEN_START_TIME = 'T00:00:01'

/**
 * The IANA zone in Strava's `timezone`, such as "(GMT+01:00) Europe/Madrid", or null when it
 * names none that this runtime knows.
 */
export function ianaZoneOf (timezone: string | null | undefined): string | null {
  const zone = timezone?.replace(/^\([^)]*\)\s*/, '').trim()
  if (!zone || zone.length > 64) return null
  return knownTimeZone(zone)
}

/** A measure within the bounds the activities table checks, or null: one odd value never blocks a page. */
const within = (value: number | null | undefined, min: number, max: number) =>
  typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max ? value : null

/**
 * A Strava activity as the batch path takes it. The day is the local day of
 * `start_date_local`, whose trailing `Z` is ignored (it is local wall time, not UTC);
 * `start_date` is the UTC start, dropped when the athlete hid the start time, since Strava
 * then reports a made-up one. `perceived_exertion` comes only with the detail of one
 * activity. Returns null when the start cannot be read.
 */
export function ingestActivityOf (activity: StravaActivity): IngestActivity | null {
  const local = LOCAL_DATE_TIME.exec(activity.start_date_local ?? '')
  if (!local || !Number.isSafeInteger(activity.id) || activity.id <= 0) return null
  const startDateLocal = local[1]!
  const hiddenStart = startDateLocal.endsWith(HIDDEN_START_TIME)
  const startDate = !hiddenStart && !Number.isNaN(Date.parse(activity.start_date)) ? new Date(activity.start_date).toISOString() : null
  const effort = within(activity.perceived_exertion, 1, 10)
  return {
    id: activity.id,
    sportType: (activity.sport_type || activity.type || 'Workout').slice(0, 64),
    startDateLocal,
    movingTimeS: Math.round(within(activity.moving_time, 0, 1_209_600) ?? 0),
    distanceM: within(activity.distance, 0, 5_000_000),
    elevationGainM: within(activity.total_elevation_gain, 0, 100_000),
    averageHeartrate: activity.has_heartrate === false ? null : within(activity.average_heartrate, 20, 250),
    maxHeartrate: activity.has_heartrate === false ? null : within(activity.max_heartrate, 20, 250),
    perceivedEffort: effort === null ? null : Math.round(effort),
    name: activity.name ? activity.name.replaceAll('\u0000', '').slice(0, 500) : null,
    startDate,
    timezone: ianaZoneOf(activity.timezone),
    localTimeBasis: 'strava'
  }
}
