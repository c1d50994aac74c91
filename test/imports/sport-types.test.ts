import t from 'tap'
import { sportTypeOf } from '../../src/imports/sport-types.ts'
import { STRAVA_SPORT_TYPES } from '../../src/activities/sport-rules.ts'

t.test('an export\'s Activity Type maps to the sport type the load rules name', async t => {
  t.equal(sportTypeOf('E-Mountain Bike Ride'), 'EMountainBikeRide')
  t.equal(sportTypeOf('E-Bike Ride'), 'EBikeRide')
  t.equal(sportTypeOf('Stair-Stepper'), 'StairStepper')
  t.equal(sportTypeOf('Inline skate'), 'InlineSkate', 'case does not matter')
  t.equal(sportTypeOf('Kayak'), 'Kayaking')
  t.equal(sportTypeOf('Football (Soccer)'), 'Soccer')
  t.equal(sportTypeOf('HIIT'), 'HighIntensityIntervalTraining')
  t.equal(sportTypeOf('Underwater Hockey'), 'UnderwaterHockey', 'an unknown name is kept, run together')
  for (const sportType of STRAVA_SPORT_TYPES) t.equal(sportTypeOf(sportType.replace(/([a-z])([A-Z])/g, '$1 $2')), sportType)
})
