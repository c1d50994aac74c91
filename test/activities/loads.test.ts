import t from 'tap'
import { externalLoad, ridePerMile, trimp } from '../../src/activities/loads.ts'
import { STRAVA_SPORT_TYPES, sportRuleOf } from '../../src/activities/sport-rules.ts'

// Hand computations use miles = m × 0.000621371 and ft = m × 3.28084 (docs/science.md).

t.test('TRIMP of 45 min at 150 bpm, resting 60, max 190 is 75.33 for men and 85.14 for women', async t => {
  // HRr = (150 − 60) / (190 − 60) = 0.6923
  t.equal(Number(trimp(45 * 60, 150, { sex: 'M', restingHr: 60, maxHr: 190 })!.toFixed(2)), 75.33)
  t.equal(Number(trimp(45 * 60, 150, { sex: 'F', restingHr: 60, maxHr: 190 })!.toFixed(2)), 85.14)
})

t.test('TRIMP uses the men\'s constants and resting 44 / max 178 when the athlete has not set them', async t => {
  const reserve = (150 - 44) / (178 - 44)
  const expected = 45 * reserve * 0.64 * Math.exp(1.92 * reserve)
  t.equal(trimp(45 * 60, 150, { sex: null, restingHr: null, maxHr: null }), expected)
})

t.test('TRIMP is unknown (null), not zero, without heart rate, and clamps the heart-rate reserve to [0, 1]', async t => {
  const profile = { sex: 'M', restingHr: 60, maxHr: 190 }
  t.equal(trimp(3600, null, profile), null)
  t.equal(trimp(3600, undefined, profile), null)
  t.equal(trimp(0, null, profile), 0, 'an activity without moving time has no internal load to be unknown')
  t.equal(trimp(3600, 50, profile), 0, 'below resting heart rate')
  t.equal(trimp(3600, 200, profile), 60 * 1 * 0.64 * Math.exp(1.92), 'above max heart rate counts as max')
})

t.test('on foot: miles + ft/750', async t => {
  // 6.21371 mi + 328.084 ft / 750 = 6.65116
  t.equal(externalLoad({ sportType: 'Run', movingTimeS: 3000, distanceM: 10000, elevationGainM: 100 }), 6.65)
  for (const sportType of ['TrailRun', 'VirtualRun', 'Walk', 'Hike']) {
    t.equal(externalLoad({ sportType, movingTimeS: 3000, distanceM: 10000, elevationGainM: 100 }), 6.65, sportType)
  }
})

t.test('a distance-based sport without a distance is scored by time, not as a rest', async t => {
  // 50 min × 6 × 0.30 = 1.5
  t.equal(externalLoad({ sportType: 'Run', movingTimeS: 3000 }), 1.5)
  t.equal(externalLoad({ sportType: 'VirtualRide', movingTimeS: 3000, distanceM: 0 }), 1.5)
  t.equal(externalLoad({ sportType: 'Swim', movingTimeS: 3000, perceivedEffort: 8 }), 2)
  t.equal(externalLoad({ sportType: 'Run', movingTimeS: 0 }), 0, 'no time and no distance, no load')
})

t.test('rides: miles × load per mile interpolated in speed + ft/1100', async t => {
  // 24.85484 mph, beyond the last centre (22 mph, 1/2.4): 10.35618 + 1640.42 ft / 1100 = 11.84747
  t.equal(externalLoad({ sportType: 'Ride', movingTimeS: 3600, distanceM: 40000, elevationGainM: 500 }), 11.85)
  // 18.64113 mph, between 18 (1/2.9) and 22 (1/2.4): 1/2.9 + (1/2.4 − 1/2.9)·0.64113/4 = 0.356342 per mile → 6.64262
  t.equal(externalLoad({ sportType: 'GravelRide', movingTimeS: 3600, distanceM: 30000 }), 6.64)
  // 12.42742 mph, between 10 (1/4) and 14 (1/3.5): 0.25 + (1/3.5 − 0.25)·2.42742/4 = 0.271673 per mile → 3.37620
  t.equal(externalLoad({ sportType: 'MountainBikeRide', movingTimeS: 3600, distanceM: 20000 }), 3.38)
  // 9.32 mph, below the first centre: 9.32057 / 4 = 2.33014
  t.equal(externalLoad({ sportType: 'Ride', movingTimeS: 3600, distanceM: 15000 }), 2.33)
  t.equal(externalLoad({ sportType: 'VirtualRide', movingTimeS: 0, distanceM: 15000 }), 2.33, 'unknown speed takes the slowest band\'s 1/4')
})

t.test('ride load per mile is continuous in speed: 12.00 and 12.01 mph differ by well under 1%', async t => {
  t.ok(ridePerMile(12.01) / ridePerMile(12) - 1 < 0.001, 'the old bands jumped by 14% here')
  for (const [mph, perMile] of [[10, 1 / 4], [14, 1 / 3.5], [18, 1 / 2.9], [22, 1 / 2.4]] as const) {
    t.ok(Math.abs(ridePerMile(mph) - perMile) < 1e-12, `the band centre at ${mph} mph keeps its band's value`)
  }
  const steps = Array.from({ length: 4000 }, (_, i) => ridePerMile((i + 1) / 100) / ridePerMile(i / 100) - 1)
  t.ok(Math.min(...steps) >= 0, 'a faster mile never costs less')
  t.ok(Math.max(...steps) < 0.001, `no 0.01 mph step up to 40 mph changes the load per mile by 0.1% (largest ${Math.max(...steps)})`)
})

t.test('swims: miles × 4.0', async t => {
  // 1.242742 mi × 4 = 4.970968
  t.equal(externalLoad({ sportType: 'Swim', movingTimeS: 2400, distanceM: 2000, elevationGainM: 10 }), 4.97)
})

t.test('rowing: miles × 1.5', async t => {
  // 3.106855 mi × 1.5 = 4.660283
  t.equal(externalLoad({ sportType: 'Rowing', movingTimeS: 1800, distanceM: 5000 }), 4.66)
  t.equal(externalLoad({ sportType: 'VirtualRow', movingTimeS: 1800, distanceM: 5000 }), 4.66)
})

t.test('cross-country skiing: miles × 1.2 + ft/500', async t => {
  // 9.320565 mi × 1.2 + 656.168 ft / 500 = 11.184678 + 1.312336 = 12.497014
  for (const sportType of ['NordicSki', 'BackcountrySki', 'RollerSki']) {
    t.equal(externalLoad({ sportType, movingTimeS: 5400, distanceM: 15000, elevationGainM: 200 }), 12.5, sportType)
  }
})

t.test('time-based sports: hours × RPE × 0.30, RPE 6 by default, distance ignored', async t => {
  t.equal(externalLoad({ sportType: 'WeightTraining', movingTimeS: 3600, perceivedEffort: 8 }), 2.4)
  // 0.75 h × 6 × 0.3 = 1.35
  t.equal(externalLoad({ sportType: 'Crossfit', movingTimeS: 2700 }), 1.35)
  t.equal(externalLoad({ sportType: 'Workout', movingTimeS: 2700, distanceM: 5000 }), 1.35, 'distance does not count')
})

t.test('an hour of HIIT is 1.8, not 0', async t => {
  t.equal(externalLoad({ sportType: 'HighIntensityIntervalTraining', movingTimeS: 3600 }), 1.8)
})

t.test('a 40 km kayak, sail or alpine ski day is scored by its 5 hours, not as a 40 km run', async t => {
  const run = externalLoad({ sportType: 'Run', movingTimeS: 5 * 3600, distanceM: 40000 })
  t.equal(run, 24.85)
  for (const sportType of ['Kayaking', 'Canoeing', 'Sail', 'AlpineSki', 'Snowboard', 'Kitesurf']) {
    // 5 h × 6 × 0.3 = 9
    t.equal(externalLoad({ sportType, movingTimeS: 5 * 3600, distanceM: 40000, elevationGainM: 1500 }), 9, sportType)
  }
})

t.test('an e-MTB ride is scored by time, not as three times a pedalled MTB ride', async t => {
  // 20 km in 2 h (6.2 mph): pedalled 12.43 mi / 4 = 3.11; the e-MTB by its 2 h: 2 × 6 × 0.3 = 3.6
  const ride = { movingTimeS: 7200, distanceM: 20000 }
  t.equal(externalLoad({ sportType: 'MountainBikeRide', ...ride }), 3.11)
  t.equal(externalLoad({ sportType: 'EMountainBikeRide', ...ride }), 3.6)
  t.equal(externalLoad({ sportType: 'EBikeRide', ...ride }), 3.6)
})

t.test('an unknown sport type is scored by time (RPE 6), never as running distance', async t => {
  t.equal(externalLoad({ sportType: 'UnderwaterHockey', movingTimeS: 3600, distanceM: 20000 }), 1.8)
  t.equal(externalLoad({ sportType: 'toString', movingTimeS: 3600, distanceM: 20000 }), 1.8, 'an inherited property name is no rule')
  t.equal(externalLoad({ sportType: 'Kitesurf', movingTimeS: 3600, distanceM: 20000, perceivedEffort: 4 }), 1.2)
})

t.test('every Strava sport type is named with a rule', async t => {
  const documented = ['AlpineSki', 'BackcountrySki', 'Badminton', 'Canoeing', 'Crossfit', 'EBikeRide', 'Elliptical',
    'EMountainBikeRide', 'Golf', 'GravelRide', 'Handcycle', 'HighIntensityIntervalTraining', 'Hike', 'IceSkate',
    'InlineSkate', 'Kayaking', 'Kitesurf', 'MountainBikeRide', 'NordicSki', 'Pickleball', 'Pilates', 'Racquetball',
    'Ride', 'RockClimbing', 'RollerSki', 'Rowing', 'Run', 'Sail', 'Skateboard', 'Snowboard', 'Snowshoe', 'Soccer',
    'Squash', 'StairStepper', 'StandUpPaddling', 'Surfing', 'Swim', 'TableTennis', 'Tennis', 'TrailRun', 'Velomobile',
    'VirtualRide', 'VirtualRow', 'VirtualRun', 'Walk', 'WeightTraining', 'Wheelchair', 'Windsurf', 'Workout', 'Yoga']
  t.same([...STRAVA_SPORT_TYPES].sort(), [...documented].sort())
  for (const sportType of documented) t.ok(['distance', 'ride', 'time'].includes(sportRuleOf(sportType).basis), sportType)
})
