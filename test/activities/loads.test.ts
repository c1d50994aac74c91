import t from 'tap'
import { externalLoad, trimp } from '../../src/activities/loads.ts'

// Hand computations use miles = m × 0.000621371 and ft = m × 3.28084 (docs/science.md).

t.test('TRIMP of 45 min at 150 bpm, resting 60, max 190 is 75.33 for men and 85.14 for women', async t => {
  // HRr = (150 − 60) / (190 − 60) = 0.6923
  t.equal(Number(trimp(45 * 60, 150, { sex: 'M', restingHr: 60, maxHr: 190 }).toFixed(2)), 75.33)
  t.equal(Number(trimp(45 * 60, 150, { sex: 'F', restingHr: 60, maxHr: 190 }).toFixed(2)), 85.14)
})

t.test('TRIMP uses the men\'s constants and resting 44 / max 178 when the athlete has not set them', async t => {
  const reserve = (150 - 44) / (178 - 44)
  const expected = 45 * reserve * 0.64 * Math.exp(1.92 * reserve)
  t.equal(trimp(45 * 60, 150, { sex: null, restingHr: null, maxHr: null }), expected)
})

t.test('TRIMP is zero without heart rate and clamps the heart-rate reserve to [0, 1]', async t => {
  const profile = { sex: 'M', restingHr: 60, maxHr: 190 }
  t.equal(trimp(3600, null, profile), 0)
  t.equal(trimp(3600, undefined, profile), 0)
  t.equal(trimp(3600, 50, profile), 0, 'below resting heart rate')
  t.equal(trimp(3600, 200, profile), 60 * 1 * 0.64 * Math.exp(1.92), 'above max heart rate counts as max')
})

t.test('run-like sports and unknown sport types: miles + ft/750', async t => {
  // 6.21371 mi + 328.084 ft / 750 = 6.65116
  t.equal(externalLoad({ sportType: 'Run', movingTimeS: 3000, distanceM: 10000, elevationGainM: 100 }), 6.65)
  for (const sportType of ['TrailRun', 'VirtualRun', 'Walk', 'Hike', 'Kitesurf']) {
    t.equal(externalLoad({ sportType, movingTimeS: 3000, distanceM: 10000, elevationGainM: 100 }), 6.65, sportType)
  }
  t.equal(externalLoad({ sportType: 'Run', movingTimeS: 3000 }), 0, 'no distance, no load')
})

t.test('rides: miles / f + ft/1100, with f from the average speed', async t => {
  // 24.85484 mi in 1 h is above 20 mph, f = 2.4: 10.35618 + 1640.42 ft / 1100 = 11.84747
  t.equal(externalLoad({ sportType: 'Ride', movingTimeS: 3600, distanceM: 40000, elevationGainM: 500 }), 11.85)
  // 18.64 mph, f = 2.9: 18.64113 / 2.9 = 6.42798
  t.equal(externalLoad({ sportType: 'GravelRide', movingTimeS: 3600, distanceM: 30000 }), 6.43)
  // 12.43 mph, f = 3.5: 12.42742 / 3.5 = 3.55069
  t.equal(externalLoad({ sportType: 'MountainBikeRide', movingTimeS: 3600, distanceM: 20000 }), 3.55)
  // 9.32 mph, f = 4.0: 9.32057 / 4 = 2.33014
  t.equal(externalLoad({ sportType: 'EBikeRide', movingTimeS: 3600, distanceM: 15000 }), 2.33)
  t.equal(externalLoad({ sportType: 'VirtualRide', movingTimeS: 0, distanceM: 15000 }), 2.33, 'unknown speed uses f = 4.0')
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

t.test('skiing: miles × 1.2 + ft/500', async t => {
  // 9.320565 mi × 1.2 + 656.168 ft / 500 = 11.184678 + 1.312336 = 12.497014
  t.equal(externalLoad({ sportType: 'NordicSki', movingTimeS: 5400, distanceM: 15000, elevationGainM: 200 }), 12.5)
  t.equal(externalLoad({ sportType: 'BackcountrySki', movingTimeS: 5400, distanceM: 15000, elevationGainM: 200 }), 12.5)
})

t.test('strength sessions: hours × RPE × 0.30, RPE 6 by default', async t => {
  t.equal(externalLoad({ sportType: 'WeightTraining', movingTimeS: 3600, perceivedEffort: 8 }), 2.4)
  // 0.75 h × 6 × 0.3 = 1.35
  t.equal(externalLoad({ sportType: 'Crossfit', movingTimeS: 2700 }), 1.35)
  t.equal(externalLoad({ sportType: 'Workout', movingTimeS: 2700, distanceM: 5000 }), 1.35, 'distance does not count')
})
