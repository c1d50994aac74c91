import { spawn } from 'node:child_process'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { withClient } from '../src/db/database.ts'
import { migrateDatabaseAt } from '../src/db/migrations.ts'
import { removeDataDir, startEmbeddedPostgres } from '../src/db/embedded.ts'

// Runs the tap suite against one PostgreSQL server: TEST_DATABASE_URL's when set, otherwise
// an embedded server in a temporary folder that is removed afterwards. A migrated template
// database is prepared once; every test file clones its own database from it (test/helper.ts).

async function withServer (run: (serverUrl: string, prefix: string) => Promise<number>): Promise<number> {
  if (process.env.TEST_DATABASE_URL) {
    const url = new URL(process.env.TEST_DATABASE_URL)
    return run(url.href, url.pathname.slice(1) || 'trainload_test')
  }
  const dir = await mkdtemp(join(tmpdir(), 'trainload-test-'))
  const server = await startEmbeddedPostgres({ dataDir: join(dir, 'postgres'), database: 'trainload_test' })
  try {
    return await run(server.url, 'trainload_test')
  } finally {
    await server.stop()
    await removeDataDir(dir)
  }
}

async function prepareTemplate (serverUrl: string, template: string): Promise<void> {
  await withClient(serverUrl, async admin => {
    await admin.query(`drop database if exists ${pg.escapeIdentifier(template)} with (force)`)
    await admin.query(`create database ${pg.escapeIdentifier(template)}`)
  })
  const url = new URL(serverUrl)
  url.pathname = `/${template}`
  await migrateDatabaseAt(url.href)
}

const status = await withServer(async (serverUrl, prefix) => {
  const template = `${prefix}_template`
  await prepareTemplate(serverUrl, template)
  const tap = spawn('npx', ['tap', ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, TRAINLOAD_TEST_SERVER_URL: serverUrl, TRAINLOAD_TEST_TEMPLATE: template }
  })
  return new Promise<number>(resolve => tap.on('exit', code => resolve(code ?? 1)))
})
process.exit(status)
