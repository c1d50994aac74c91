// The fake Strava of test/fake-strava.ts in a process of its own, driven over IPC by
// bench/fake-strava-process.ts. Ends when the parent goes away.
import { startFakeStrava } from '../test/fake-strava.ts'
import { makeActivities } from '../test/fake-strava-api.ts'
import type { FakeStravaCommand, FakeStravaReply, FakeStravaRequest, FakeStravaStarted } from './fake-strava-process.ts'

const fake = await startFakeStrava({ latencyMs: Number(process.argv[2]), apiLatencyMs: Number(process.argv[3] ?? 0) })
const send = (message: FakeStravaStarted | FakeStravaReply) => process.send!(message)

function answer (command: FakeStravaCommand): Omit<FakeStravaReply, 'id'> {
  switch (command.kind) {
    case 'addAthletes':
      return { tokens: command.stravaIds.map(id => fake.addAthlete(id)) }
    case 'addHistories':
      for (const { stravaId, days, firstId, newest } of command.histories) {
        fake.activities.add(stravaId, makeActivities(days, { firstId, newest: new Date(newest) }))
      }
      return {}
    case 'setLatency':
      fake.state.latencyMs = command.latencyMs
      if (command.apiLatencyMs !== undefined) fake.state.apiLatencyMs = command.apiLatencyMs
      return {}
    case 'setRateLimits':
      fake.rateLimits.limits = { read: [command.limit, command.limit], overall: [command.limit, command.limit] }
      return {}
    case 'resetUsage': {
      const served = fake.rateLimits.served
      fake.rateLimits.usage = { read: [0, 0], overall: [0, 0] }
      fake.rateLimits.served = 0
      return { served }
    }
    default:
      return { error: 'unknown request' }
  }
}

process.on('message', (request: FakeStravaRequest) => send({ id: request.id, ...answer(request) }))
const stop = () => { fake.close().finally(() => process.exit(0)) }
process.on('disconnect', stop)
process.on('SIGTERM', stop)
send({ url: fake.url, clientId: fake.clientId, clientSecret: fake.clientSecret })
