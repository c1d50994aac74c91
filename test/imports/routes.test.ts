import { mkdtemp, readdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import t, { type Test } from 'tap'
import { build } from '../helper.ts'
import { adminHeaders, createAthlete, daysAgo, ingest, readAcwr, run } from '../fixtures.ts'
import { externalLoad } from '../../src/activities/loads.ts'
import type { App } from '../../src/app.ts'
import {
  activitiesCsv, EXPORT_HEADER, fitFile, gbDate, gpxFile, gzip, tcxFile, usDate, utcDaysAgo, zipArchive, type ExportActivity
} from './export-fixtures.ts'

async function buildImportApp (t: Test, env: Record<string, string> = {}) {
  const dataDir = await mkdtemp(join(tmpdir(), 'trainload-import-'))
  return { app: await build(t, { env: { DATA_DIR: dataDir, ...env } }), spoolDir: join(dataDir, 'imports') }
}

function upload (app: App, athleteId: number, body: string | Buffer, contentType: string) {
  return app.inject({ method: 'POST', url: `/api/athletes/${athleteId}/imports`, headers: { ...adminHeaders, 'content-type': contentType }, payload: body })
}

async function listActivities (app: App, athleteId: number) {
  const res = await app.inject({ url: `/api/athletes/${athleteId}/activities?limit=1000`, headers: adminHeaders })
  return res.json().activities as Array<Record<string, any>>
}

async function tables (app: App) {
  return {
    activities: await app.db.selectFrom('activities').selectAll().orderBy('athlete_id').orderBy('id').execute(),
    acwr: await app.db.selectFrom('acwr_daily').selectAll().orderBy('athlete_id').orderBy('day').execute()
  }
}

const loadOf = (activity: ExportActivity) => externalLoad({
  sportType: activity.type.replace(/[\s-]/g, ''),
  movingTimeS: activity.movingTimeS,
  distanceM: activity.distanceM,
  elevationGainM: activity.elevationGainM,
  perceivedEffort: activity.perceivedEffort
})

/**
 * An en-US export of an athlete in New York: activity files place some activities in other
 * zones, which decide their local day; the others fall back to the athlete's timezone.
 */
function usExport () {
  const tokyo = utcDaysAgo(10, 2, 30)
  const losAngeles = utcDaysAgo(8, 3, 0)
  const noFile = utcDaysAgo(6, 3, 0)
  const berlin = utcDaysAgo(5, 23, 30)
  const indoor = utcDaysAgo(3, 23, 0)
  const activities: Array<ExportActivity & { day: string, timezone: string | null, basis: string }> = [
    { id: 5001, date: usDate(tokyo), type: 'Run', movingTimeS: 3000, distanceM: 10_000, elevationGainM: 50, averageHeartrate: 150, maxHeartrate: 171, filename: 'activities/5001.fit', day: daysAgo(10), timezone: 'Asia/Tokyo', basis: 'file' },
    { id: 5002, date: usDate(losAngeles), type: 'Ride', movingTimeS: 3600, distanceM: 30_000, elevationGainM: 300, averageHeartrate: 135, maxHeartrate: 160, filename: 'activities/5002.gpx.gz', day: daysAgo(9), timezone: 'America/Los_Angeles', basis: 'file' },
    { id: 5003, date: usDate(noFile), type: 'Run', movingTimeS: 1800, distanceM: 5000, elevationGainM: 0, day: daysAgo(7), timezone: 'America/New_York', basis: 'athlete-timezone' },
    { id: 5004, date: usDate(berlin), type: 'Underwater Hockey', movingTimeS: 2400, averageHeartrate: 140, filename: 'activities/5004.tcx', day: daysAgo(4), timezone: 'Europe/Berlin', basis: 'file' },
    { id: 5007, date: usDate(indoor), type: 'Weight Training', movingTimeS: 2700, perceivedEffort: 7, averageHeartrate: 120, filename: 'activities/5007.fit.gz', day: daysAgo(2), timezone: null, basis: 'file' }
  ]
  const malformed: ExportActivity[] = [
    { id: 5005, date: 'yesterday morning', type: 'Run', movingTimeS: 600 },
    { id: 'not-an-id', date: usDate(noFile), type: 'Run', movingTimeS: 600 }
  ]
  const csv = activitiesCsv([activities[0]!, activities[1]!, activities[2]!, activities[3]!, ...malformed, activities[4]!])
  const files = {
    'activities.csv': csv,
    'activities/5001.fit': fitFile(tokyo, { lat: 35.6812, lon: 139.7671 }),
    'activities/5002.gpx.gz': gzip(gpxFile(losAngeles, 34.0522, -118.2437)),
    'activities/5004.tcx': tcxFile(berlin, 52.52, 13.405),
    'activities/5007.fit.gz': gzip(fitFile(indoor, { offsetS: 7200 })),
    'profile.csv': 'Athlete ID\n1\n'
  }
  return { activities, files }
}

t.test('an en-US export imports with local days from its activity files, and ACWR follows', async t => {
  const { app, spoolDir } = await buildImportApp(t)
  const { id } = await createAthlete(app, { timezone: 'America/New_York' })
  const { activities, files } = usExport()
  const res = await upload(app, id, await zipArchive(files), 'application/zip')
  t.equal(res.statusCode, 200, res.body)
  t.match(res.json(), { imported: 5, updated: 0, unchanged: 0 })
  t.match(res.json().skipped, [
    { row: 6, activityId: 5005, reason: /Activity Date "yesterday morning" is not a date/ },
    { row: 7, activityId: null, reason: /Activity ID "not-an-id"/ }
  ])
  t.equal(res.json().skipped.length, 2)

  const listed = new Map((await listActivities(app, id)).map(activity => [activity.id, activity]))
  for (const expected of activities) {
    const activity = listed.get(expected.id as number)!
    t.match(activity, { day: expected.day, source: 'import', movingTimeS: expected.movingTimeS, externalLoad: loadOf(expected) }, `activity ${expected.id}`)
    t.equal(activity.distanceM, expected.distanceM ?? null, `activity ${expected.id} distance from the metres column`)
    t.equal(activity.averageHeartrate, expected.averageHeartrate ?? null)
    t.equal(activity.maxHeartrate, expected.maxHeartrate ?? null)
  }
  t.equal(listed.get(5004)!.sportType, 'UnderwaterHockey', 'an unknown sport is kept for the load rules to judge')
  t.equal(listed.get(5007)!.startDateLocal, `${daysAgo(2)}T01:00:00`, 'an indoor FIT file without a position gives its recorded offset')
  const stored = await app.db.selectFrom('activities').select(['id', 'timezone', 'local_time_basis', 'start_date']).where('athlete_id', '=', id).orderBy('id').execute()
  t.same(stored.map(row => [row.id, row.timezone, row.local_time_basis]), activities.map(a => [a.id, a.timezone, a.basis]))
  t.equal(new Date(stored[0]!.start_date!).toISOString(), utcDaysAgo(10, 2, 30).toISOString(), 'the UTC start is kept')

  const days = await readAcwr(app, id, `?from=${daysAgo(10)}&to=${daysAgo(0)}`)
  const expectedLoads = new Map<string, number>()
  for (const activity of activities) expectedLoads.set(activity.day, (expectedLoads.get(activity.day) ?? 0) + loadOf(activity))
  t.same(days.map(day => [day.date, day.external.load]), days.map(day => [day.date, Math.round((expectedLoads.get(day.date) ?? 0) * 100) / 100]))
  // The series ends on the athlete's today, which in New York can still be yesterday in UTC.
  const today = days.at(-1)!
  const weekStart = new Date(Date.parse(`${today.date}T00:00:00Z`) - 6 * 86_400_000).toISOString().slice(0, 10)
  const lastWeek = [...expectedLoads].filter(([day]) => day >= weekStart && day <= today.date).reduce((sum, [, load]) => sum + load, 0)
  t.ok(Math.abs(today.external.acute - lastWeek / 7) < 1e-3, 'the acute load of today is the mean of the last 7 days')
  t.same(await readdir(spoolDir), [], 'the spooled upload is removed')
})

t.test('importing the same export again changes nothing', async t => {
  const { app } = await buildImportApp(t)
  const { id } = await createAthlete(app, { timezone: 'America/New_York' })
  const archive = await zipArchive(usExport().files)
  t.equal((await upload(app, id, archive, 'application/zip')).statusCode, 200)
  const before = await tables(app)
  const again = await upload(app, id, archive, 'application/zip')
  t.match(again.json(), { imported: 0, updated: 0, unchanged: 5 })
  t.same(await tables(app), before, 'activities and ACWR rows, timestamps included, are as they were')
})

t.test('an en-GB activities.csv alone imports in the athlete\'s timezone; an activity already pushed is updated, not doubled', async t => {
  const { app } = await buildImportApp(t)
  const { id } = await createAthlete(app, { timezone: 'Australia/Sydney' })
  t.equal((await ingest(app, id, [run(7001, daysAgo(4), 3, { averageHeartrate: 150 }), run(7002, daysAgo(20), 2)])).statusCode, 200)
  // 14:00 UTC is past midnight in Sydney (UTC+10 or +11): the local day is the next one.
  const activities: ExportActivity[] = [
    { id: 7001, date: gbDate(utcDaysAgo(5, 14)), type: 'Run', movingTimeS: 2400, distanceM: 8000, averageHeartrate: 152 },
    { id: 7003, date: gbDate(utcDaysAgo(3, 14)), type: 'Hike', movingTimeS: 7200, distanceM: 12_000, elevationGainM: 600 },
    { id: 7004, date: gbDate(utcDaysAgo(2, 1)), type: 'Run', movingTimeS: 1200, distanceM: 3000, averageHeartrate: 320 }
  ]
  const res = await upload(app, id, activitiesCsv(activities), 'text/csv; charset=utf-8')
  t.equal(res.statusCode, 200, res.body)
  t.same(res.json(), { imported: 1, updated: 1, unchanged: 0, skipped: [{ row: 4, activityId: 7004, reason: 'Average Heart Rate must be <= 250' }] })
  const listed = await listActivities(app, id)
  t.same(listed.map(activity => [activity.id, activity.day, activity.source]).sort(), [
    [7001, daysAgo(4), 'import'], [7002, daysAgo(20), 'api'], [7003, daysAgo(2), 'import']
  ])
  const hike = listed.find(activity => activity.id === 7003)!
  t.equal(hike.averageHeartrate, null, 'a row without heart rate has none')
  t.equal(hike.externalLoad, loadOf(activities[1]!))
  const days = await readAcwr(app, id, `?from=${daysAgo(4)}&to=${daysAgo(2)}`)
  t.same(days.map(day => day.external.load), [loadOf(activities[0]!), 0, loadOf(activities[1]!)])
})

t.test('a header that cannot be mapped is a 400 naming it, and nothing is written', async t => {
  const { app } = await buildImportApp(t)
  const { id } = await createAthlete(app)
  const german = ['Aktivitäts-ID', 'Aktivitätsdatum', 'Name der Aktivität', 'Aktivitätstyp', ...EXPORT_HEADER.slice(4)]
  const res = await upload(app, id, activitiesCsv([{ id: 1, date: usDate(utcDaysAgo(1, 8)), type: 'Run', movingTimeS: 60 }], german), 'text/csv')
  t.equal(res.statusCode, 400)
  t.match(res.json().message, /no "Activity ID", "Activity Date", "Activity Type" column; it cannot map "Aktivitäts-ID", "Aktivitätsdatum"/)
  t.equal((await tables(app)).activities.length, 0)
})

t.test('a malformed archive is a 400 and leaves the database exactly as before', async t => {
  const { app, spoolDir } = await buildImportApp(t)
  const { id } = await createAthlete(app, { timezone: 'America/New_York' })
  const archive = await zipArchive(usExport().files)
  t.equal((await upload(app, id, archive, 'application/zip')).statusCode, 200)
  const before = await tables(app)
  const truncated = await upload(app, id, archive.subarray(0, archive.length - 40), 'application/zip')
  t.equal(truncated.statusCode, 400)
  t.match(truncated.json().message, /not a readable zip archive/)
  const noCsv = await upload(app, id, await zipArchive({ 'profile.csv': 'x\n' }), 'application/zip')
  t.equal(noCsv.statusCode, 400)
  t.match(noCsv.json().message, /no activities\.csv/)
  const badCsv = await upload(app, id, await zipArchive({ 'activities.csv': `${EXPORT_HEADER.join(',')}\n1,"unterminated\n` }), 'application/zip')
  t.equal(badCsv.statusCode, 400)
  t.match(badCsv.json().message, /activities\.csv: row 2 is not valid CSV/)
  t.same(await tables(app), before)
  t.same(await readdir(spoolDir), [])
})

t.test('the wrong content type is a 415, an upload over IMPORT_MAX_BYTES a 413, an unknown athlete a 404', async t => {
  const { app } = await buildImportApp(t, { IMPORT_MAX_BYTES: '2000' })
  const { id } = await createAthlete(app)
  const json = await app.inject({ method: 'POST', url: `/api/athletes/${id}/imports`, headers: adminHeaders, payload: { activities: [] } })
  t.equal(json.statusCode, 415)
  t.match(json.json().message, /application\/zip.*text\/csv/)
  const octets = await upload(app, id, Buffer.from('PK'), 'application/octet-stream')
  t.equal(octets.statusCode, 415)
  const big = activitiesCsv(Array.from({ length: 40 }, (_, i) => ({ id: i + 1, date: usDate(utcDaysAgo(1, 8)), type: 'Run', movingTimeS: 60 })))
  t.ok(big.length > 2000)
  const tooLarge = await upload(app, id, big, 'text/csv')
  t.equal(tooLarge.statusCode, 413)
  t.match(tooLarge.json().message, /IMPORT_MAX_BYTES/)
  const unknown = await upload(app, 987_654_321, activitiesCsv([]), 'text/csv')
  t.equal(unknown.statusCode, 404)
  t.equal((await tables(app)).activities.length, 0)
})

t.test('an upload larger than BODY_LIMIT_BYTES still streams in under IMPORT_MAX_BYTES, and a JSON body is refused at the small limit', async t => {
  const { app } = await buildImportApp(t, { BODY_LIMIT_BYTES: '1024' })
  const { id } = await createAthlete(app)
  const csv = activitiesCsv(Array.from({ length: 40 }, (_, i) => ({ id: i + 1, date: usDate(utcDaysAgo(1, 8)), type: 'Run', movingTimeS: 60 })))
  t.ok(csv.length > 1024)
  const imported = await upload(app, id, csv, 'text/csv')
  t.equal(imported.statusCode, 200, imported.body)
  t.equal(imported.json().imported, 40)
  const json = await app.inject({ method: 'POST', url: `/api/athletes/${id}/imports`, headers: { ...adminHeaders, 'content-type': 'application/json' }, payload: `{"a":"${'x'.repeat(2048)}"}` })
  t.equal(json.statusCode, 413)
  t.match(json.json().message, 'at most 1024 bytes')
})

t.test('an export date whose local day falls past 9999 or before 1900 is a skipped row, never a 500', async t => {
  const { app } = await buildImportApp(t)
  const { id } = await createAthlete(app, { timezone: 'Pacific/Kiritimati' })
  const csv = activitiesCsv([
    { id: 8001, date: 'Dec 31, 9999, 11:30:00 PM', type: 'Run', movingTimeS: 600 },
    { id: 8002, date: 'Jan 1, 1899, 8:00:00 AM', type: 'Run', movingTimeS: 600 },
    { id: 8003, date: usDate(utcDaysAgo(2, 8)), type: 'Run', movingTimeS: 600 }
  ])
  const res = await upload(app, id, csv, 'text/csv')
  t.equal(res.statusCode, 200, res.body)
  t.equal(res.json().imported, 1)
  t.match(res.json().skipped, [{ row: 2, activityId: 8001, reason: /^Activity Date/ }, { row: 3, activityId: 8002, reason: /^Activity Date/ }])
  t.same((await listActivities(app, id)).map(activity => activity.id), [8003])
})

t.test('a second import for the same athlete while one runs is a 409 with Retry-After', async t => {
  const { app } = await buildImportApp(t)
  const { id } = await createAthlete(app)
  const slow = new PassThrough()
  const first = app.inject({ method: 'POST', url: `/api/athletes/${id}/imports`, headers: { ...adminHeaders, 'content-type': 'text/csv' }, payload: slow })
  slow.write(`${EXPORT_HEADER.join(',')}\n`)
  await new Promise(resolve => setTimeout(resolve, 200))
  const second = await upload(app, id, activitiesCsv([]), 'text/csv')
  t.equal(second.statusCode, 409)
  t.equal(second.headers['retry-after'], '30')
  slow.end(activitiesCsv([{ id: 42, date: usDate(utcDaysAgo(1, 8)), type: 'Run', movingTimeS: 600, distanceM: 2000 }]).split('\n').slice(1).join('\n'))
  const done = await first
  t.equal(done.statusCode, 200, done.body)
  t.match(done.json(), { imported: 1 })
})
