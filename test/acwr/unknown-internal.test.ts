import t from 'tap'
import { build } from '../helper.ts'
import { adminHeaders, createAthlete, daysAgo, ingest, readAcwr, run } from '../fixtures.ts'

// A 45-minute run of 6 miles at an average of 150 bpm; the same run without heart rate.
const run45 = (id: number, ago: number, heartRate: boolean) =>
  run(id, daysAgo(ago), 6, { movingTimeS: 2700, ...(heartRate ? { averageHeartrate: 150 } : {}) })

t.test('28 days of runs with heart rate, then 7 without: on day 35 the internal ratio is unknown, not 0, and the divergence is not 2.0', async t => {
  const app = await build(t)
  const { id } = await createAthlete(app)
  await ingest(app, id, Array.from({ length: 35 }, (_, day) => run45(day + 1, 34 - day, day < 28)))
  const days = await readAcwr(app, id)
  t.equal(days.length, 35)
  const day35 = days.at(-1)!
  t.equal(day35.external.ratio, 1, 'the legs did the same work every day')
  t.equal(day35.internal.load, null, 'a run without heart rate has an unknown internal load')
  t.equal(day35.internal.acute, null, 'no day of the acute window is known')
  t.equal(day35.internal.ratio, null, 'the internal ratio is unknown, not 0')
  t.equal(day35.divergence, null, 'and so is the divergence, not 2.0')
  t.equal(day35.internal.coverage, 0.75, '21 of the chronic window\'s 28 days are known')
  t.not(day35.internal.chronic, 0, 'the known days still give a chronic load')

  const day28 = days[27]!
  t.equal(day28.internal.coverage, 1)
  t.equal(day28.internal.ratio, 1)
  t.equal(day28.divergence, 0)

  const activities = (await app.inject({ url: `/api/athletes/${id}/activities?limit=2`, headers: adminHeaders })).json().activities
  t.same(activities.map((activity: { trimp: number | null }) => activity.trimp), [null, null], 'the activities say their TRIMP is unknown')

  const pmc = (await app.inject({ url: `/api/athletes/${id}/pmc`, headers: adminHeaders })).json().days
  t.equal(pmc.at(-1).internal.load, null)
  t.equal(pmc.at(-1).internal.ctl, pmc[27].internal.ctl, 'the internal CTL is carried over unknown days, not decayed as rest')
  t.ok(pmc.at(-1).external.ctl > pmc[27].external.ctl, 'the external CTL keeps rising')
})

t.test('one session without heart rate leaves the days with heart rate to speak: the internal means use the known days', async t => {
  const app = await build(t)
  const { id } = await createAthlete(app)
  await ingest(app, id, Array.from({ length: 35 }, (_, day) => run45(day + 1, 34 - day, day !== 33)))
  const [yesterday, today] = (await readAcwr(app, id)).slice(-2)
  t.equal(yesterday!.internal.load, null)
  t.equal(today!.internal.ratio, 1, 'six known days of seven: the ratio stands, at the level of the known days')
  t.equal(today!.divergence, 0)
  t.equal(today!.internal.coverage, 0.9643, '27 of 28 days known')
})

t.test('a day is internal-known only when every activity of the day has heart rate', async t => {
  const app = await build(t)
  const { id } = await createAthlete(app)
  await ingest(app, id, [
    run45(1, 1, true),
    run45(2, 0, true),
    { id: 3, sportType: 'Ride', startDateLocal: `${daysAgo(0)}T18:00:00`, movingTimeS: 3600, distanceM: 30000 }
  ])
  const [yesterday, today] = await readAcwr(app, id)
  t.not(yesterday!.internal.load, null)
  t.equal(today!.internal.load, null, 'the run\'s TRIMP alone would read the day as an easier one')
  t.equal(today!.internal.coverage, 0.5)
  t.ok(Math.abs(today!.internal.acute! - yesterday!.internal.load!) < 0.005, 'the acute mean is the known day\'s load (each rounded)')
  t.equal(today!.internal.ratio, null, '1 of 2 days known is below 2/3')
})

t.test('heart rate added later makes the day known again, from that day on', async t => {
  const app = await build(t)
  const { id } = await createAthlete(app)
  await ingest(app, id, Array.from({ length: 10 }, (_, day) => run45(day + 1, 9 - day, day !== 4)))
  t.equal((await readAcwr(app, id))[4]!.internal.load, null)
  await ingest(app, id, [run45(5, 5, true)])
  const days = await readAcwr(app, id)
  t.equal(days[4]!.internal.load, days[3]!.internal.load)
  t.same(days.map(day => day.internal.coverage), Array(10).fill(1))
  t.same(days.map(day => day.internal.ratio), Array(10).fill(1))
})
