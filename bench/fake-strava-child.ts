// The fake Strava of test/fake-strava.ts in a process of its own, driven over IPC by
// bench/fake-strava-process.ts. Ends when the parent goes away.
import { startFakeStrava } from '../test/fake-strava.ts'
import type { FakeStravaReply, FakeStravaRequest, FakeStravaStarted } from './fake-strava-process.ts'

const fake = await startFakeStrava({ latencyMs: Number(process.argv[2]) })
const send = (message: FakeStravaStarted | FakeStravaReply) => process.send!(message)

process.on('message', (request: FakeStravaRequest) => {
  if (request.kind === 'addAthletes') send({ id: request.id, tokens: request.stravaIds.map(id => fake.addAthlete(id)) })
  else if (request.kind === 'setLatency') {
    fake.state.latencyMs = request.latencyMs
    send({ id: request.id })
  } else send({ id: (request as { id: number }).id, error: 'unknown request' })
})
const stop = () => { fake.close().finally(() => process.exit(0)) }
process.on('disconnect', stop)
process.on('SIGTERM', stop)
send({ url: fake.url, clientId: fake.clientId, clientSecret: fake.clientSecret })
