/**
 * activities.csv names sports as the app shows them ("Weight Training", "E-Bike Ride"); the
 * API's sport_type is the same words run together ("WeightTraining", "EBikeRide"). These are
 * the names where the two differ by more than spacing.
 */
const DISPLAY_NAMES: Record<string, string> = {
  Canoe: 'Canoeing',
  Kayak: 'Kayaking',
  Surf: 'Surfing',
  'Rock Climb': 'RockClimbing',
  HIIT: 'HighIntensityIntervalTraining',
  'Stand Up Paddle': 'StandUpPaddling'
}

/** The sport_type of an export's Activity Type; an unfamiliar name is kept, run together, for the load rules to judge. */
export function sportTypeOf (activityType: string): string {
  const name = activityType.trim().replace(/\s+/g, ' ')
  const known = DISPLAY_NAMES[name]
  if (known) return known
  return name.split(/[\s-]+/).map(word => word.charAt(0).toUpperCase() + word.slice(1)).join('').replace(/[^\p{L}\p{N}]/gu, '').slice(0, 64) || name.slice(0, 64)
}
