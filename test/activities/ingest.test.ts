import t from 'tap'
import { build } from '../helper.ts'
import { createAthlete, daysAgo, ingest, readAcwr, run } from '../fixtures.ts'
import { lockAthletes } from '../../src/db/athletes.ts'
import { ingestActivityChunks, type IngestActivity } from '../../src/activities/service.ts'
import type { App } from '../../src/app.ts'

function ingestChunks (app: App, athleteId: number, chunks: IngestActivity[][]) {
  return app.db.transaction().execute(async trx =>
    ingestActivityChunks(trx, (await lockAthletes(trx, [athleteId]))[0]!, chunks, 'import'))
}

async function * eachChunk (chunks: IngestActivity[][]): AsyncIterable<IngestActivity[]> {
  for (const chunk of chunks) yield chunk
}

t.test('chunked ingest counts inserted, updated and unchanged rows and recomputes once from the earliest day', async t => {
  const app = await build(t)
  const { id } = await createAthlete(app)
  const basis = { localTimeBasis: 'athlete-timezone' as const }
  const first = await ingestChunks(app, id, [[run(1, daysAgo(6), 4, basis), run(2, daysAgo(5), 6, basis)], [run(3, daysAgo(9), 2, basis)]])
  t.same(first, { inserted: 3, updated: 0, unchanged: 0, recomputedFrom: daysAgo(9) })

  const again = await app.db.transaction().execute(async trx =>
    ingestActivityChunks(trx, (await lockAthletes(trx, [id]))[0]!, eachChunk([[run(1, daysAgo(6), 4, basis)], [run(2, daysAgo(5), 6, basis), run(3, daysAgo(9), 2, basis)]]), 'import'))
  t.same(again, { inserted: 0, updated: 0, unchanged: 3, recomputedFrom: null }, 'an identical re-ingest writes nothing')

  const mixed = await ingestChunks(app, id, [[run(2, daysAgo(5), 8, basis)], [run(3, daysAgo(9), 2, basis), run(4, daysAgo(1), 1, basis)]])
  t.same(mixed, { inserted: 1, updated: 1, unchanged: 1, recomputedFrom: daysAgo(5) })

  const days = await readAcwr(app, id, `?from=${daysAgo(9)}&to=${daysAgo(1)}`)
  t.same(days.map(day => day.external.load), [2, 0, 0, 4, 8, 0, 0, 0, 1])
})

t.test('the UTC start, its zone and the basis of the local time are stored, and a change to them is an update', async t => {
  const app = await build(t)
  const { id } = await createAthlete(app)
  const day = daysAgo(3)
  const fromFile: IngestActivity = {
    ...run(7, day, 5, { startDateLocal: `${day}T07:30:00` }),
    startDate: `${day}T05:30:00Z`,
    timezone: 'Europe/Berlin',
    localTimeBasis: 'file'
  }
  t.same(await ingestChunks(app, id, [[fromFile]]), { inserted: 1, updated: 0, unchanged: 0, recomputedFrom: day })
  const stored = await app.db.selectFrom('activities').select(['start_date', 'timezone', 'local_time_basis', 'source', 'day']).where('athlete_id', '=', id).executeTakeFirstOrThrow()
  t.same({ ...stored, start_date: new Date(stored.start_date!).toISOString() },
    { start_date: `${day}T05:30:00.000Z`, timezone: 'Europe/Berlin', local_time_basis: 'file', source: 'import', day })
  const rezoned = await ingestChunks(app, id, [[{ ...fromFile, timezone: 'Africa/Cairo' }]])
  t.same(rezoned, { inserted: 0, updated: 1, unchanged: 0, recomputedFrom: day })
})

t.test('pushed activities record the client as the basis of their local time, and the PUT reply keeps its shape', async t => {
  const app = await build(t)
  const { id } = await createAthlete(app)
  const res = await ingest(app, id, [run(1, daysAgo(2), 3), run(2, daysAgo(1), 3)])
  t.same(res.json(), { upserted: 2, recomputedFrom: daysAgo(2) })
  const rows = await app.db.selectFrom('activities').select(['local_time_basis', 'source', 'start_date', 'timezone']).where('athlete_id', '=', id).execute()
  t.same(rows, [
    { local_time_basis: 'client', source: 'api', start_date: null, timezone: null },
    { local_time_basis: 'client', source: 'api', start_date: null, timezone: null }
  ])
})
