/**
 * Load formulas carried over from the system trainload replaces (docs/science.md). Pure
 * functions: the ingest computes both loads once and stores them.
 */

const MILES_PER_METRE = 0.000621371
const FEET_PER_METRE = 3.28084

/** Heart-rate bounds TRIMP assumes for an athlete who has not set theirs. */
export const DEFAULT_RESTING_HR = 44
export const DEFAULT_MAX_HR = 178

/** Strength sessions carry no distance; their load comes from duration and effort (RPE 1–10). */
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

const RIDES = new Set(['Ride', 'MountainBikeRide', 'GravelRide', 'EBikeRide', 'VirtualRide'])
const ROWING = new Set(['Rowing', 'VirtualRow'])
const SKIING = new Set(['BackcountrySki', 'NordicSki'])
const STRENGTH = new Set(['WeightTraining', 'Workout', 'Crossfit'])

/** A mile on a bike costs less than a mile on foot, and less the faster the rider goes. */
function rideDivisor (miles: number, movingTimeS: number): number {
  if (movingTimeS <= 0 || miles <= 0) return 4.0
  const mph = miles / (movingTimeS / 3600)
  if (mph <= 12) return 4.0
  if (mph <= 16) return 3.5
  if (mph <= 20) return 2.9
  return 2.4
}

function unroundedExternalLoad ({ sportType, movingTimeS, distanceM, elevationGainM, perceivedEffort }: ActivityMeasures): number {
  const miles = (distanceM ?? 0) * MILES_PER_METRE
  const feet = (elevationGainM ?? 0) * FEET_PER_METRE
  if (RIDES.has(sportType)) return miles / rideDivisor(miles, movingTimeS) + feet / 1100
  if (sportType === 'Swim') return miles * 4.0
  if (ROWING.has(sportType)) return miles * 1.5
  if (SKIING.has(sportType)) return miles * 1.2 + feet / 500
  if (STRENGTH.has(sportType)) return (movingTimeS / 3600) * (perceivedEffort ?? DEFAULT_RPE) * 0.30
  // Run-like sports, and any sport type the table does not name.
  return miles + feet / 750
}

/** External load in miles-equivalent, rounded to 2 decimals. */
export function externalLoad (activity: ActivityMeasures): number {
  return Math.round(unroundedExternalLoad(activity) * 100) / 100
}

/** Banister's sex-specific weighting constants; men's are used when sex is unknown. */
const TRIMP_CONSTANTS = { M: { a: 0.64, b: 1.92 }, F: { a: 0.86, b: 1.67 } }

/**
 * Banister TRIMP: minutes × HRr × a·e^(b·HRr), HRr being the heart-rate reserve fraction
 * clamped to [0, 1]. An activity without heart rate has no internal load.
 */
export function trimp (movingTimeS: number, averageHeartrate: number | null | undefined, profile: HeartRateProfile): number {
  if (averageHeartrate == null) return 0
  const resting = profile.restingHr ?? DEFAULT_RESTING_HR
  const max = profile.maxHr ?? DEFAULT_MAX_HR
  if (max <= resting) return 0
  const reserve = Math.min(1, Math.max(0, (averageHeartrate - resting) / (max - resting)))
  const { a, b } = profile.sex === 'F' ? TRIMP_CONSTANTS.F : TRIMP_CONSTANTS.M
  return (movingTimeS / 60) * reserve * a * Math.exp(b * reserve)
}
