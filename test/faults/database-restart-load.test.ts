import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import type { App } from '../../src/app.ts'
import { recalculateAcwr } from '../../src/acwr/recalculate.ts'
import { build, startOwnDatabaseServer } from '../helper.ts'
import { daysAgo, ingest, run } from '../fixtures.ts'
import { acwrDigest } from './support.ts'

const ATHLETES = 4
const CONCURRENCY = 6
const ACTIVITIES_PER_REQUEST = 5
/** Answers 200 wanted before the restart and again after it. */
const SUCCESSES_PER_PHASE = 25
const LOAD_LIMIT_MS = 60_000

interface Sent { athleteId: number, ids: number[], status: number, retryAfter?: string }

/** Concurrent ingests with distinct activity ids until stopped; every answer is recorded. */
function startIngestLoad (app: App, athleteIds: number[]) {
  const sent: Sent[] = []
  const control = { next: 0, stopped: false }
  const worker = async () => {
    while (!control.stopped) {
      const n = control.next++
      const athleteId = athleteIds[n % athleteIds.length]!
      const ids = Array.from({ length: ACTIVITIES_PER_REQUEST }, (_, k) => n * ACTIVITIES_PER_REQUEST + k + 1)
      const res = await ingest(app, athleteId, ids.map((id, k) => run(id, daysAgo((n * 3 + k * 11) % 90), 3 + (id % 17))))
      sent.push({ athleteId, ids, status: res.statusCode, retryAfter: res.headers['retry-after'] as string | undefined })
      // A client honouring Retry-After would wait seconds; a short pause keeps the test quick.
      if (res.statusCode !== 200) await sleep(20)
    }
  }
  const workers = Array.from({ length: CONCURRENCY }, worker)
  return {
    sent,
    succeeded: () => sent.filter(s => s.status === 200).length,
    stop: async () => {
      control.stopped = true
      await Promise.all(workers)
    }
  }
}

async function until (condition: () => boolean, what: string): Promise<void> {
  for (const started = Date.now(); !condition();) {
    if (Date.now() - started > LOAD_LIMIT_MS) throw new Error(`gave up waiting for ${what}`)
    await sleep(10)
  }
}

t.test('a database restart in the middle of concurrent ingests loses no answered batch and half-writes none', async t => {
  const server = await startOwnDatabaseServer(t)
  const { url } = server
  const port = Number(new URL(url).port)
  const app = await build(t, { databaseUrl: url, env: { DB_CONNECTION_TIMEOUT_MS: '1000' } })
  const athletes = await app.db.insertInto('athletes')
    .values(Array.from({ length: ATHLETES }, (_, i) => ({ name: `Restart athlete ${i + 1}` }))).returning('id').execute()
  const athleteIds = athletes.map(athlete => athlete.id)

  const load = startIngestLoad(app, athleteIds)
  try {
    await until(() => load.succeeded() >= SUCCESSES_PER_PHASE, 'the first answers')
    await server.stop()
    await sleep(300)
    t.equal(await server.start(), port, 'the server came back on the same port')
    const beforeRestart = load.succeeded()
    await until(() => load.succeeded() >= beforeRestart + SUCCESSES_PER_PHASE, 'answers after the restart')
  } finally {
    await load.stop()
  }

  const { sent } = load
  const answered = sent.filter(s => s.status === 200)
  const refused = sent.filter(s => s.status !== 200)
  t.same([...new Set(sent.map(s => s.status))].sort(), [200, 503], `${sent.length} requests: ${answered.length} answered 200, ${refused.length} answered 503, none anything else`)
  t.ok(refused.every(s => Number(s.retryAfter) > 0), 'every 503 carries Retry-After')
  t.ok(answered.length >= 2 * SUCCESSES_PER_PHASE, 'the same app, never restarted, serves 200 again after the database is back')

  const stored = await app.db.selectFrom('activities').select(['athlete_id', 'id']).execute()
  const storedKeys = new Set(stored.map(row => `${row.athlete_id}/${row.id}`))
  const keys = (s: Sent) => s.ids.map(id => `${s.athleteId}/${id}`)
  t.same(answered.flatMap(keys).filter(key => !storedKeys.has(key)), [], 'every activity of every 200 is in the database')
  t.same(refused.flatMap(keys).filter(key => storedKeys.has(key)), [], 'no activity of any 503 is in the database')
  t.equal(stored.length, answered.length * ACTIVITIES_PER_REQUEST, 'and nothing else is')

  const served = await acwrDigest(app.db)
  await recalculateAcwr(app.db, { from: null, batchSize: ATHLETES })
  t.same(served, await acwrDigest(app.db), 'acwr_daily equals a fresh full recompute')
})
