/**
 * How each Strava sport_type turns into external load (docs/science.md, "External load").
 * Distance counts only where a distance stands for effort at a known rate: on foot, on a
 * pedalled bike, swimming, rowing and cross-country skiing. Everything else is scored by time
 * and perceived effort, because its distance is made by a motor, gravity, wind or waves, or
 * because it has none worth the name (a court, a wall, a mat, a machine).
 */

/** miles × perMile + climbed feet / feetPerUnit (no climb term when feetPerUnit is null). */
export interface DistanceRule { basis: 'distance', perMile: number, feetPerUnit: number | null }
/** Load per mile from the average speed (see ridePerMile), plus climbed feet / 1100. */
export interface RideRule { basis: 'ride' }
/** Moving hours × RPE × 0.30, RPE 6 when the athlete gave none. */
export interface TimeRule { basis: 'time' }
export type SportRule = DistanceRule | RideRule | TimeRule

// One flat mile run is the unit; 750 feet of climbing count as one more mile. Both are the
// calibration of the system trainload replaced and are kept so that stored histories stay
// comparable.
const ON_FOOT: DistanceRule = { basis: 'distance', perMile: 1, feetPerUnit: 750 }
const RIDE: RideRule = { basis: 'ride' }
// Swimming costs about four times as much energy per distance as running (di Prampero, "The
// energy cost of human locomotion on land and in water", Int J Sports Med 1986;7:55–72).
const SWIM: DistanceRule = { basis: 'distance', perMile: 4.0, feetPerUnit: null }
// The replaced system's rowing factor: a 2,000 m piece scores like about 3 km of running.
// Boat and ergometer speed both follow the rower's power, so distance is effort.
const ROW: DistanceRule = { basis: 'distance', perMile: 1.5, feetPerUnit: null }
// The replaced system's cross-country factor: a skied mile costs a little more than a run
// one, and climbing on skis more than on foot (500 rather than 750 feet per unit).
const CROSS_COUNTRY_SKI: DistanceRule = { basis: 'distance', perMile: 1.2, feetPerUnit: 500 }
const TIME: TimeRule = { basis: 'time' }

/** Every sport_type the Strava API documents (SportType, 50 values), each with its rule. */
export const SPORT_RULES = {
  Run: ON_FOOT,
  TrailRun: ON_FOOT, // the climb term carries what trails add
  VirtualRun: ON_FOOT, // treadmill distance is belt distance, run at the athlete's own effort
  Walk: ON_FOOT, // the replaced system's rule: a walked mile as a run one
  Hike: ON_FOOT,
  Wheelchair: TIME, // everyday and racing chairs differ several-fold in speed for the same effort
  Ride: RIDE,
  MountainBikeRide: RIDE,
  GravelRide: RIDE,
  VirtualRide: RIDE, // trainer apps derive speed from measured power, as on the road
  EBikeRide: TIME, // the motor's unknown share of the power makes distance meaningless as effort
  EMountainBikeRide: TIME, // as EBikeRide: scored as a ride it read three times a pedalled MTB ride
  Velomobile: TIME, // the fairing cuts air drag several-fold, so the ride speed bands would misread it
  Handcycle: TIME, // arm cranking: leg-cycling speed bands do not apply
  Swim: SWIM,
  Rowing: ROW,
  VirtualRow: ROW, // ergometer distance is computed from the rower's power
  Canoeing: TIME, // current and wind move the boat: a 40 km river day is not a 40 km run
  Kayaking: TIME, // as Canoeing
  StandUpPaddling: TIME, // as Canoeing
  Surfing: TIME, // waves make the distance
  Kitesurf: TIME, // wind makes the distance
  Windsurf: TIME, // wind makes the distance
  Sail: TIME, // wind makes the distance
  NordicSki: CROSS_COUNTRY_SKI,
  BackcountrySki: CROSS_COUNTRY_SKI, // the climb term carries the skinning; descents add little
  RollerSki: CROSS_COUNTRY_SKI, // cross-country skiing's summer form, same technique and speeds
  AlpineSki: TIME, // lifts and gravity make the distance
  Snowboard: TIME, // lifts and gravity make the distance
  Snowshoe: TIME, // snow conditions change the cost of a mile several-fold
  IceSkate: TIME, // gliding: speed and distance follow technique and ice, not effort
  InlineSkate: TIME, // gliding, as IceSkate
  Skateboard: TIME, // gliding and rolling downhill
  Crossfit: TIME,
  HighIntensityIntervalTraining: TIME, // intervals with little or no distance; an hour is not 0
  WeightTraining: TIME,
  Workout: TIME,
  Yoga: TIME,
  Pilates: TIME,
  Elliptical: TIME, // a machine's "distance" is not comparable between machines
  StairStepper: TIME, // a machine's "distance" is not comparable between machines
  RockClimbing: TIME, // vertical, with no distance to speak of
  Golf: TIME, // time on the course; walking between shots is the light part of the load
  Soccer: TIME, // intermittent sprints and changes of direction, not distance at a steady rate
  Tennis: TIME, // court sports: time on court
  Badminton: TIME,
  Pickleball: TIME,
  Racquetball: TIME,
  Squash: TIME,
  TableTennis: TIME
} as const satisfies Record<string, SportRule>

export type StravaSportType = keyof typeof SPORT_RULES

/** Every named sport_type, for callers that recognise names (an export's Activity Type). */
export const STRAVA_SPORT_TYPES = Object.keys(SPORT_RULES) as StravaSportType[]

/** A sport_type the table does not name is scored by time, never as running distance. */
export function sportRuleOf (sportType: string): SportRule {
  return Object.hasOwn(SPORT_RULES, sportType) ? SPORT_RULES[sportType as StravaSportType] : TIME
}
