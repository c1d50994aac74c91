import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import t from 'tap'
import { demoToday, seedDemo } from '../../src/demo/seed.ts'
import { build } from '../helper.ts'

const today = '2026-11-27'

function readKeyFile (text: string): { athleteId: number, apiKey: string } {
  const fields = Object.fromEntries(text.trim().split('\n').map(line => line.split('=', 2) as [string, string]))
  return { athleteId: Number(fields.athleteId), apiKey: fields.apiKey! }
}

// A first `npm start` seeds the full fleet (test/server.test.ts); here a slice of it keeps the suite quick.
const slice = { today, athletes: 4, days: 120 }

t.test('the demo fleet goes through the batch services, and a re-seed changes nothing but the key', async t => {
  // The re-seed revokes the old key behind the app's back, as the CLI does; with no key cache
  // the app sees that on the next request.
  const app = await build(t, { env: { API_KEY_CACHE_MS: '0' } })
  const dataDir = await mkdtemp(join(tmpdir(), 'trainload-seed-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const progress: number[] = []

  const report = await seedDemo(app.db, dataDir, { ...slice, onProgress: done => progress.push(done) })
  t.equal(report.athletes, slice.athletes)
  t.same(progress, [1, 2, 3, 4], 'progress is reported per athlete')
  t.ok(report.activities > 150, `${report.activities} activities`)
  t.equal(report.upserted, report.activities, 'a first seed inserts every activity')
  t.notOk('apiKey' in report, 'the report carries no key')

  const { rows: [counts] } = await sql<{ athletes: number, activities: number, with_trimp: number, acwr_days: number, latest: string }>`
    select (select count(*) from athletes) as athletes,
      (select count(*) from activities) as activities,
      (select count(*) from activities where trimp > 0) as with_trimp,
      (select count(*) from acwr_daily) as acwr_days,
      (select max(day) from acwr_daily) as latest
  `.execute(app.db)
  t.match(counts, { athletes: slice.athletes, activities: report.activities, acwr_days: report.acwrDays })
  t.ok(counts!.with_trimp > report.activities / 2, 'loads were derived at ingest')
  t.ok(report.acwrDays > slice.athletes * (slice.days - 14), 'every athlete has a daily ACWR series')
  t.ok(counts!.latest >= today, 'the series reach the last demo day')

  const keyFile = join(dataDir, 'demo-athlete-key')
  t.equal(report.keyFile, keyFile)
  t.equal((await stat(keyFile)).mode & 0o777, 0o600, 'the key file is readable by its owner only')
  const first = readKeyFile(await readFile(keyFile, 'utf8'))
  t.equal(first.athleteId, report.demoAthleteId)
  const latest = await app.inject({
    url: `/api/athletes/${first.athleteId}/acwr/latest`,
    headers: { authorization: `Bearer ${first.apiKey}` }
  })
  t.equal(latest.statusCode, 200, 'the demo key opens its athlete\'s ACWR')

  const again = await seedDemo(app.db, dataDir, slice)
  t.match(again, { athletes: report.athletes, activities: report.activities, upserted: 0, acwrDays: report.acwrDays, demoAthleteId: report.demoAthleteId })
  const second = readKeyFile(await readFile(keyFile, 'utf8'))
  const withKey = (apiKey: string) => app.inject({ url: `/api/athletes/${second.athleteId}`, headers: { authorization: `Bearer ${apiKey}` } })
  t.equal((await withKey(second.apiKey)).statusCode, 200, 'the rewritten key works')
  t.equal((await withKey(first.apiKey)).statusCode, 401, 'the earlier demo key is revoked')
  t.equal((await stat(keyFile)).mode & 0o777, 0o600)
})

t.test('a reduced fleet keeps the first athletes and their last days only', async t => {
  const app = await build(t)
  const dataDir = await mkdtemp(join(tmpdir(), 'trainload-seed-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const report = await seedDemo(app.db, dataDir, { today, athletes: 2, days: 60 })
  t.equal(report.athletes, 2)
  const { rows: [range] } = await sql<{ first: string, last: string, athletes: number }>`
    select min(day) as first, max(day) as last, count(distinct athlete_id) as athletes from activities
  `.execute(app.db)
  t.same(range, { first: range!.first, last: today, athletes: 2 })
  t.ok(range!.first >= '2026-09-29', `the history starts at ${range!.first}, within 60 days`)
})

t.test('the demo history ends on today where it is earliest among the demo timezones', async t => {
  t.equal(demoToday(new Date('2026-03-01T03:00:00Z')), '2026-02-28', 'still the day before in America/Denver')
  t.equal(demoToday(new Date('2026-03-01T12:00:00Z')), '2026-03-01')
})
