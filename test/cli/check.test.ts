import pg from 'pg'
import t, { type Test } from 'tap'
import { createTestDatabase } from '../helper.ts'
import { runCli } from './run-cli.ts'

const runCheck = (t: Test, databaseUrl: string, args: string[] = ['--json']) => runCli(t, databaseUrl, ['check', ...args])

t.test('check exits 0 and reports a reachable, migrated database with its pool', async t => {
  const { code, stdout } = await runCheck(t, await createTestDatabase(t))
  t.equal(code, 0)
  const report = JSON.parse(stdout)
  t.equal(report.ok, true)
  t.equal(report.database.status, 'up')
  t.match(report.database.serverVersion, /^\d+/)
  t.same(report.schema, { verified: true, missing: [] })
  t.same(report.migrations.pending, [])
  t.ok(report.migrations.applied >= 1)
  t.match(report.pool, { max: 10, serverMaxConnections: Number })
  t.ok(report.pool.serverConnections >= 1)
})

t.test('check exits 1 and names a column the database lacks', async t => {
  const url = await createTestDatabase(t)
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  await client.query('alter table activities drop column trimp').finally(() => client.end())

  const { code, stdout, stderr } = await runCheck(t, url)
  t.equal(code, 1)
  const report = JSON.parse(stdout)
  t.equal(report.ok, false)
  t.same(report.schema.missing, ['column activities.trimp'])
  t.match(stderr, /column activities\.trimp/)
  t.match(stderr, /trainload migrate/)
})

t.test('check exits 1 when the database is unreachable, saying so in its table', async t => {
  const { code, stdout, stderr } = await runCheck(t, 'postgres://nobody@127.0.0.1:1/none', [])
  t.equal(code, 1)
  t.match(stdout, /^ok\s+false$/m)
  t.match(stdout, /^database\s+.*"down"/m)
  t.match(stderr, /unreachable/)
})
