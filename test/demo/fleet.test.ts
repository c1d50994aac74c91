import { isDeepStrictEqual } from 'node:util'
import t from 'tap'
import { DEMO_ATHLETE_COUNT, DEMO_DAYS, demoFleet, type DemoAthlete } from '../../src/demo/fleet.ts'

const lastDay = '2026-11-27'
const fleet = demoFleet({ lastDay })
const dayNumber = (day: string) => Date.parse(`${day.slice(0, 10)}T00:00:00Z`) / 86_400_000
const mean = (values: number[]) => values.reduce((sum, x) => sum + x, 0) / values.length

/** Hours of training per week, index 0 being the week that ends on the last day. */
function weeklyHours (athlete: DemoAthlete): number[] {
  const weeks = new Array<number>(Math.ceil(DEMO_DAYS / 7)).fill(0)
  for (const activity of athlete.activities) {
    const weeksAgo = Math.floor((dayNumber(lastDay) - dayNumber(activity.startDateLocal)) / 7)
    weeks[weeksAgo]! += activity.movingTimeS / 3600
  }
  return weeks
}

t.test('the same day and seed give the same fleet, and another seed a different one', async t => {
  // A boolean rather than t.same: diffing two fleets that differ would take minutes.
  t.ok(isDeepStrictEqual(demoFleet({ lastDay }), fleet), 'a second run is identical')
  t.notOk(isDeepStrictEqual(demoFleet({ lastDay, seed: 1 }), fleet), 'another seed differs')
})

t.test('25 athletes with distinct Strava ids, names and plausible heart-rate settings', async t => {
  t.equal(fleet.length, DEMO_ATHLETE_COUNT)
  t.equal(new Set(fleet.map(a => a.stravaAthleteId)).size, 25)
  t.equal(new Set(fleet.map(a => a.name)).size, 25)
  t.same(new Set(fleet.map(a => a.sex)), new Set(['F', 'M']))
  t.ok(new Set(fleet.map(a => a.timezone)).size > 3, 'athletes live in several timezones')
  for (const athlete of fleet) t.ok(athlete.restingHr >= 35 && athlete.restingHr < athlete.maxHr && athlete.maxHr <= 205)
})

t.test('activities are in the API item shape, with ids unique across the fleet', async t => {
  const allowed = new Set(['id', 'sportType', 'startDateLocal', 'movingTimeS', 'distanceM', 'elevationGainM',
    'averageHeartrate', 'maxHeartrate', 'perceivedEffort', 'name'])
  const all = fleet.flatMap(a => a.activities)
  t.equal(new Set(all.map(a => a.id)).size, all.length)
  const malformed = all.filter(a =>
    Object.keys(a).some(key => !allowed.has(key)) ||
    !Number.isSafeInteger(a.id) || a.id <= 2 ** 31 ||
    !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/.test(a.startDateLocal) ||
    !Number.isInteger(a.movingTimeS) || a.movingTimeS <= 0 ||
    (a.perceivedEffort != null && !(Number.isInteger(a.perceivedEffort) && a.perceivedEffort >= 1 && a.perceivedEffort <= 10)) ||
    (a.averageHeartrate != null && !(a.maxHeartrate! >= a.averageHeartrate)))
  t.same(malformed, [])
  t.ok(all.length > 5000 && all.length < 20000, `${all.length} activities`)
})

t.test('every athlete has 18 months of history ending on the given day', async t => {
  for (const athlete of fleet) {
    const days = athlete.activities.map(a => dayNumber(a.startDateLocal))
    t.ok(Math.max(...days) <= dayNumber(lastDay) && Math.min(...days) > dayNumber(lastDay) - DEMO_DAYS, `${athlete.name} stays in range`)
    t.ok(Math.min(...days) < dayNumber(lastDay) - DEMO_DAYS + 14, `${athlete.name} starts near the beginning`)
  }
  t.ok(fleet.some(a => a.activities.some(x => x.startDateLocal.startsWith(lastDay))), 'someone trained on the last day')
})

t.test('the sports vary: runs with elevation, rides, swims and strength sessions', async t => {
  const all = fleet.flatMap(a => a.activities)
  const sports = new Set(all.map(a => a.sportType))
  for (const sport of ['Run', 'TrailRun', 'Ride', 'VirtualRide', 'Swim', 'WeightTraining', 'Hike']) t.ok(sports.has(sport), sport)
  t.ok(all.some(a => a.sportType === 'TrailRun' && a.elevationGainM! > 300), 'hilly trail runs')
  t.ok(all.filter(a => a.sportType === 'WeightTraining').every(a => a.distanceM === undefined && a.perceivedEffort !== undefined),
    'strength sessions carry an effort, not a distance')
  t.ok(all.some(a => a.averageHeartrate === undefined) && all.some(a => a.averageHeartrate !== undefined),
    'some activities have heart rate, some do not')
})

t.test('every athlete has a rest week, a build-up and an overreaching spike', async t => {
  for (const athlete of fleet) {
    const days = [...new Set(athlete.activities.map(a => dayNumber(a.startDateLocal)))].sort((a, b) => a - b)
    const longestGap = Math.max(...days.slice(1).map((day, i) => day - days[i]!))
    t.ok(longestGap > 7, `${athlete.name} rests a full week`)

    const weeks = weeklyHours(athlete)
    const spiked = weeks.some((hours, w) => w + 4 < weeks.length && hours >= 1.5 * mean(weeks.slice(w + 1, w + 5)))
    t.ok(spiked, `${athlete.name} has a week at 1.5 times the four before it`)
    const built = weeks.some((_, w) => {
      const latest = weeks.slice(w, w + 3)
      const before = mean(weeks.slice(w + 7, w + 11))
      return w + 11 < weeks.length && before > 0 && mean(latest) >= 1.25 * before && latest.every(hours => hours >= 1.1 * before)
    })
    t.ok(built, `${athlete.name} has three weeks in a row well above where they stood seven weeks earlier`)
  }
})

t.test('the fleet ends in varied states, so today\'s zones differ', async t => {
  const lastWeekRatio = fleet.map(athlete => {
    const weeks = weeklyHours(athlete)
    return weeks[0]! / mean(weeks.slice(1, 5))
  })
  t.ok(lastWeekRatio.some(r => r > 1.5), 'some athletes are overreaching now')
  t.ok(lastWeekRatio.some(r => r >= 0.8 && r <= 1.3), 'some are in the optimal band')
  t.ok(lastWeekRatio.some(r => r < 0.5), 'some have stopped or are resting')
})
