import { STRAVA_SPORT_TYPES } from '../activities/sport-rules.ts'

/**
 * activities.csv names sports as the app shows them ("Weight Training", "E-Bike Ride"); the
 * API's sport_type is the same words run together ("WeightTraining", "EBikeRide"). These are
 * the names where the two differ by more than spacing and case.
 */
const DISPLAY_NAMES: Record<string, string> = {
  Canoe: 'Canoeing',
  Kayak: 'Kayaking',
  Surf: 'Surfing',
  'Rock Climb': 'RockClimbing',
  HIIT: 'HighIntensityIntervalTraining',
  'Stand Up Paddle': 'StandUpPaddling',
  'Football (Soccer)': 'Soccer'
}

/** The named sport types by their run-together lower-case spelling, so "E-bike ride" finds EBikeRide. */
const BY_FOLDED_NAME = new Map(STRAVA_SPORT_TYPES.map(sportType => [sportType.toLowerCase(), sportType]))

const runTogether = (name: string) =>
  name.split(/[\s-]+/).map(word => word.charAt(0).toUpperCase() + word.slice(1)).join('').replace(/[^\p{L}\p{N}]/gu, '').slice(0, 64)

/**
 * The sport_type of an export's Activity Type. Names are matched against the sport types the
 * load rules know (src/activities/sport-rules.ts); an unfamiliar name is kept, run together,
 * and scored by the rules' fallback for unknown sports.
 */
export function sportTypeOf (activityType: string): string {
  const name = activityType.trim().replace(/\s+/g, ' ')
  const known = DISPLAY_NAMES[name]
  if (known) return known
  const joined = runTogether(name)
  return BY_FOLDED_NAME.get(joined.toLowerCase()) ?? (joined || name.slice(0, 64))
}
