import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import t, { type Test } from 'tap'
import { createTestDatabase } from '../helper.ts'
import { runCli } from './run-cli.ts'
import { activitiesCsv, fitFile, usDate, utcDaysAgo, zipArchive } from '../imports/export-fixtures.ts'

async function scratchFile (t: Test, name: string, content: string | Buffer): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'trainload-import-cli-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const path = join(dir, name)
  await writeFile(path, content)
  return path
}

async function query<T extends pg.QueryResultRow> (url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query<T>(text)).rows
  } finally {
    await client.end()
  }
}

t.test('trainload import <athleteId> <file> --json imports an export zip and prints the counts', async t => {
  const url = await createTestDatabase(t)
  const [athlete] = await query<{ id: number }>(url, 'insert into athletes (strava_athlete_id, timezone) values (4242, \'Europe/Paris\') returning id::int')
  const start = utcDaysAgo(3, 6, 0)
  const archive = await zipArchive({
    'activities.csv': activitiesCsv([
      { id: 81, date: usDate(start), type: 'Run', movingTimeS: 1800, distanceM: 6000, averageHeartrate: 150, filename: 'activities/81.fit' },
      { id: 82, date: 'never', type: 'Run', movingTimeS: 60 }
    ]),
    'activities/81.fit': fitFile(start, { lat: 40.7128, lon: -74.006 })
  })
  const file = await scratchFile(t, 'export.zip', archive)
  const { code, stdout, stderr } = await runCli(t, url, ['import', String(athlete!.id), file, '--json'])
  t.equal(code, 0, stderr)
  const result = JSON.parse(stdout)
  t.match(result, { imported: 1, updated: 0, unchanged: 0, skipped: [{ row: 3, activityId: 82 }] })
  const rows = await query<{ id: string, timezone: string, local_time_basis: string }>(url, 'select id, timezone, local_time_basis from activities')
  t.same(rows, [{ id: '81', timezone: 'America/New_York', local_time_basis: 'file' }])
})

t.test('trainload import names a bad athlete id before it opens the database', async t => {
  const bad = await runCli(t, 'postgres://nobody@127.0.0.1:1/none', ['import', 'x1', 'nothing.csv'])
  t.equal(bad.code, 1)
  t.match(bad.stderr, /an athlete id is a positive integer/)
})
