import { sportRuleOf } from './sport-rules.ts'

/**
 * The load formulas (docs/science.md). Pure functions: the ingest computes both loads once
 * and stores them.
 */

const MILES_PER_METRE = 0.000621371
const FEET_PER_METRE = 3.28084

/** Heart-rate bounds TRIMP assumes for an athlete who has not set theirs. */
export const DEFAULT_RESTING_HR = 44
export const DEFAULT_MAX_HR = 178

/**
 * Time-based load: moving hours × RPE × 0.30. The 0.30 per RPE-hour is the replaced system's
 * calibration (an hour at RPE 6 is 1.8 miles-equivalent); the RPE is the athlete's perceived
 * effort on Foster's 0–10 session scale (Foster et al., J Strength Cond Res 2001;15:109–115).
 */
const LOAD_PER_RPE_HOUR = 0.30
/** A default cannot know the athlete's effort; 6, between "hard" and "very hard" on that scale, is the replaced system's. */
const DEFAULT_RPE = 6

export interface ActivityMeasures {
  sportType: string
  movingTimeS: number
  distanceM?: number | null
  elevationGainM?: number | null
  perceivedEffort?: number | null
}

export interface HeartRateProfile {
  sex: string | null
  restingHr: number | null
  maxHr: number | null
}

/**
 * Ride load per mile against average speed in mph. A mile ridden costs less than a mile run,
 * and more the faster it is ridden: air drag grows with the square of speed, so the energy
 * per mile does too (di Prampero et al., J Appl Physiol 1979;47:201–206). The replaced system
 * had four bands, ≤ 12, ≤ 16, ≤ 20 and above 20 mph, at 1/4.0, 1/3.5, 1/2.9 and 1/2.4 per
 * mile, which jumped by 14–21% at each edge. These are the bands' centres, the open-ended
 * ones taken as 4 mph wide like the others; between them the load per mile is interpolated
 * linearly, and beyond the outer centres it stays at theirs.
 */
const RIDE_BAND_CENTRES: ReadonlyArray<readonly [mph: number, perMile: number]> = [
  [10, 1 / 4.0], [14, 1 / 3.5], [18, 1 / 2.9], [22, 1 / 2.4]
]

/** Load per ridden mile; an unknown speed (no moving time) takes the slowest band's. */
export function ridePerMile (mph: number | null): number {
  const [first, ...rest] = RIDE_BAND_CENTRES
  if (mph === null || mph <= first![0]) return first![1]
  let previous = first!
  for (const centre of rest) {
    if (mph <= centre[0]) return previous[1] + (centre[1] - previous[1]) * (mph - previous[0]) / (centre[0] - previous[0])
    previous = centre
  }
  return previous[1]
}

const timeLoad = (movingTimeS: number, perceivedEffort: number | null | undefined) =>
  (movingTimeS / 3600) * (perceivedEffort ?? DEFAULT_RPE) * LOAD_PER_RPE_HOUR

/**
 * A distance-based sport without a recorded distance (a treadmill run without a foot pod, a
 * manual entry) is scored by time rather than as a rest.
 */
function unroundedExternalLoad ({ sportType, movingTimeS, distanceM, elevationGainM, perceivedEffort }: ActivityMeasures): number {
  const rule = sportRuleOf(sportType)
  const miles = Math.max(0, distanceM ?? 0) * MILES_PER_METRE
  const feet = Math.max(0, elevationGainM ?? 0) * FEET_PER_METRE
  if (rule.basis === 'time' || miles === 0) return timeLoad(movingTimeS, perceivedEffort)
  if (rule.basis === 'ride') {
    return miles * ridePerMile(movingTimeS > 0 ? miles / (movingTimeS / 3600) : null) + feet / 1100
  }
  return miles * rule.perMile + (rule.feetPerUnit === null ? 0 : feet / rule.feetPerUnit)
}

/** External load in miles-equivalent, rounded to 2 decimals. */
export function externalLoad (activity: ActivityMeasures): number {
  return Math.round(unroundedExternalLoad(activity) * 100) / 100
}

/** Banister's sex-specific weighting constants; men's are used when sex is unknown. */
const TRIMP_CONSTANTS = { M: { a: 0.64, b: 1.92 }, F: { a: 0.86, b: 1.67 } }

/**
 * Banister TRIMP: minutes × HRr × a·e^(b·HRr), HRr being the heart-rate reserve fraction
 * clamped to [0, 1]. Without heart rate the internal load is unknown (null), not 0: a strap
 * left at home is not a rest day for the heart. An activity without moving time has none.
 */
export function trimp (movingTimeS: number, averageHeartrate: number | null | undefined, profile: HeartRateProfile): number | null {
  if (movingTimeS <= 0) return 0
  if (averageHeartrate == null) return null
  const resting = profile.restingHr ?? DEFAULT_RESTING_HR
  const max = profile.maxHr ?? DEFAULT_MAX_HR
  if (max <= resting) return 0
  const reserve = Math.min(1, Math.max(0, (averageHeartrate - resting) / (max - resting)))
  const { a, b } = profile.sex === 'F' ? TRIMP_CONSTANTS.F : TRIMP_CONSTANTS.M
  return (movingTimeS / 60) * reserve * a * Math.exp(b * reserve)
}
