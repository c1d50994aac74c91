import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import pg from 'pg'
import t, { type Test } from 'tap'
import { createTestDatabase } from '../helper.ts'
import { runCli } from './run-cli.ts'

const runSeed = (t: Test, databaseUrl: string, args: string[]) => runCli(t, databaseUrl, ['seed', 'demo', ...args])

async function countRows (url: string): Promise<{ athletes: number, acwr_days: number }> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const { rows } = await client.query('select (select count(*)::int from athletes) as athletes, (select count(*)::int from acwr_daily) as acwr_days')
    return rows[0]
  } finally {
    await client.end()
  }
}

t.test('seed demo --json seeds the fleet, prints counts without the key, and writes the key file', async t => {
  const url = await createTestDatabase(t)
  // Three athletes over three months: the same path as the full fleet, a fraction of the time.
  const { code, stdout, stderr, dataDir } = await runSeed(t, url, ['--json', '--athletes', '3', '--days', '90'])
  t.equal(code, 0, stderr)
  const report = JSON.parse(stdout)
  const keyFile = join(dataDir, 'demo-athlete-key')
  t.match(report, { athletes: 3, activities: Number, upserted: report.activities, acwrDays: Number, demoAthleteId: Number, keyFile })
  t.ok(report.acwrDays >= 3 * 80 && report.acwrDays <= 3 * 95, `${report.acwrDays} ACWR days for 3 athletes over about 90 days`)
  t.same(await countRows(url), { athletes: 3, acwr_days: report.acwrDays })

  const key = await readFile(keyFile, 'utf8')
  t.match(key, new RegExp(`^athleteId=${report.demoAthleteId}\napiKey=tl_[\\w-]+\n$`))
  t.equal((await stat(keyFile)).mode & 0o777, 0o600)
  const apiKey = key.match(/apiKey=(\S+)/)![1]!
  t.notOk(stdout.includes(apiKey) || stderr.includes(apiKey), 'the key is in the file only')
})

t.test('seed demo rejects an athlete count outside the fleet', async t => {
  const { code, stderr } = await runSeed(t, 'postgres://nobody@127.0.0.1:1/none', ['--athletes', '26'])
  t.equal(code, 1)
  t.match(stderr, /--athletes.*expected an integer from 1 to 25/)
})
