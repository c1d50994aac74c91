import { randomBytes } from 'node:crypto'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import pg from 'pg'
import type { Test } from 'tap'
import { buildApp, type App, type AppOptions } from '../src/app.ts'
import { loadConfig, type Config } from '../src/config.ts'
import { withClient } from '../src/db/database.ts'
import { removeDataDir, startEmbeddedPostgres, type EmbeddedServer } from '../src/db/embedded.ts'
import { migrateDatabaseAt } from '../src/db/migrations.ts'

/** Admin token used by the test apps; the leak scans look for it. */
export const TEST_ADMIN_TOKEN = 'test-admin-token-' + 'x'.repeat(32)
export const TEST_TOKEN_KEY = randomBytes(32).toString('base64')

function serverUrl (database = 'postgres'): string {
  const base = process.env.TRAINLOAD_TEST_SERVER_URL
  if (!base) throw new Error('Run the tests with `npm test`, which prepares the test database server.')
  const url = new URL(base)
  url.pathname = `/${database}`
  return url.href
}

const withAdminClient = <T>(run: (client: pg.Client) => Promise<T>) => withClient(serverUrl(), run)

/**
 * An empty database of this test's own (no migrations applied), dropped when the test ends:
 * for tests that migrate step by step or change the schema itself.
 */
export async function createEmptyDatabase (t: Test): Promise<string> {
  const name = `trainload_scratch_${process.pid}_${randomBytes(4).toString('hex')}`
  await withAdminClient(client => client.query(`create database ${pg.escapeIdentifier(name)}`))
  t.teardown(() => withAdminClient(client =>
    client.query(`drop database if exists ${pg.escapeIdentifier(name)} with (force)`)))
  return serverUrl(name)
}

/**
 * A database of this test's own, cloned from the migrated template, dropped when the test
 * ends. Test files run in parallel without sharing rows.
 */
export async function createTestDatabase (t: Test): Promise<string> {
  const template = process.env.TRAINLOAD_TEST_TEMPLATE!
  const name = `${template.replace(/_template$/, '')}_${process.pid}_${randomBytes(4).toString('hex')}`
  await withAdminClient(client =>
    client.query(`create database ${pg.escapeIdentifier(name)} template ${pg.escapeIdentifier(template)}`))
  t.teardown(() => withAdminClient(client =>
    client.query(`drop database if exists ${pg.escapeIdentifier(name)} with (force)`)))
  return serverUrl(name)
}

export function testConfig (overrides: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    TOKEN_ENCRYPTION_KEY: TEST_TOKEN_KEY,
    DB_POOL_MIN: '0',
    // Test files share two busy cores; only the tests of load shedding itself turn it on.
    LOAD_SHEDDING: 'false',
    // The Strava sync worker holds connections of its own; only the sync tests start it.
    STRAVA_SYNC_WORKER: 'false',
    ...overrides
  })
}

export interface BuildOptions {
  env?: Record<string, string>
  databaseUrl?: string
  /** Receives every log line the app writes (at debug level and above). */
  onLog?: (line: string) => void
  /** Runs after the app's plugins and routes are registered, before it is ready. */
  beforeReady?: (app: App) => void | Promise<void>
  onRoute?: AppOptions['onRoute']
}

/** An app on a fresh database, ready for `app.inject`, closed when the test ends. */
export async function build (t: Test, options: BuildOptions = {}): Promise<App> {
  const databaseUrl = options.databaseUrl ?? await createTestDatabase(t)
  const { onLog } = options
  const logStream = onLog && new Writable({ write (chunk, _encoding, done) { onLog(chunk.toString()); done() } })
  const env = onLog ? { LOG_LEVEL: 'debug', ...options.env } : options.env
  const app = await buildApp({ config: testConfig(env), databaseUrl, logStream, onRoute: options.onRoute })
  t.teardown(() => app.close())
  await options.beforeReady?.(app)
  await app.ready()
  return app
}

export interface OwnDatabaseServer {
  /** The migrated `trainload` database on the server. */
  url: string
  stop: () => Promise<void>
  /** Starts the stopped server again, asking for its old port; resolves to the port it got. */
  start: () => Promise<number>
}

/** A PostgreSQL server of the test's own, for tests that stop and start it; removed at the end. */
export async function startOwnDatabaseServer (t: Test): Promise<OwnDatabaseServer> {
  const dir = await mkdtemp(join(tmpdir(), 'trainload-own-server-'))
  const dataDir = join(dir, 'postgres')
  let server: EmbeddedServer | undefined = await startEmbeddedPostgres({ dataDir, database: 'trainload' })
  const { port, url } = server
  t.teardown(async () => {
    await server?.stop()
    await removeDataDir(dir)
  })
  await migrateDatabaseAt(url)
  return {
    url,
    stop: async () => {
      await server?.stop()
      server = undefined
    },
    start: async () => {
      server = await startEmbeddedPostgres({ dataDir, database: 'trainload', preferredPort: port })
      return server.port
    }
  }
}
