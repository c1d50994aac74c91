import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import t, { type Test } from 'tap'
import { createTestDatabase, TEST_ADMIN_TOKEN, TEST_TOKEN_KEY } from '../helper.ts'

const bin = new URL('../../src/cli/bin.js', import.meta.url).pathname

async function runCheck (t: Test, databaseUrl: string, args: string[] = ['--json']) {
  const dataDir = await mkdtemp(join(tmpdir(), 'trainload-cli-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const child = spawn(process.execPath, [bin, 'check', ...args], {
    env: { PATH: process.env.PATH, DATABASE_URL: databaseUrl, ADMIN_TOKEN: TEST_ADMIN_TOKEN, TOKEN_ENCRYPTION_KEY: TEST_TOKEN_KEY, DATA_DIR: dataDir }
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', chunk => { stdout += chunk })
  child.stderr.on('data', chunk => { stderr += chunk })
  const code = await new Promise<number | null>(resolve => child.on('close', resolve))
  return { code, stdout, stderr }
}

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
