import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { removeDataDir, startEmbeddedPostgres } from '../src/db/embedded.ts'
import { withClient } from '../src/db/database.ts'
import { migrateDatabaseAt } from '../src/db/migrations.ts'

export interface BenchServer {
  /** Connection string of a database used only to create and drop the suites' databases. */
  url: string
  /** 'embedded' for a throwaway server, otherwise where it came from. */
  kind: 'embedded PostgreSQL' | 'BENCH_DATABASE_URL'
  version: string
  stop: () => Promise<void>
}

/**
 * The server the suites run on: BENCH_DATABASE_URL's when set (left running), otherwise a
 * throwaway embedded PostgreSQL in a temporary folder, removed afterwards.
 */
export async function openBenchServer (benchDatabaseUrl = process.env.BENCH_DATABASE_URL): Promise<BenchServer> {
  if (benchDatabaseUrl) {
    return { url: benchDatabaseUrl, kind: 'BENCH_DATABASE_URL', version: await serverVersion(benchDatabaseUrl), stop: async () => {} }
  }
  const dir = await mkdtemp(join(tmpdir(), 'trainload-bench-'))
  const dataDir = join(dir, 'postgres')
  // Last resort when the process dies mid-run (an uncaught error while the server shuts
  // down): the folder goes, and a server whose pid file is gone stops by itself.
  const removeOnExit = () => rmSync(dir, { recursive: true, force: true })
  process.once('exit', removeOnExit)
  const server = await startEmbeddedPostgres({ dataDir, database: 'postgres' })
  return {
    url: server.url,
    kind: 'embedded PostgreSQL',
    version: await serverVersion(server.url),
    stop: async () => {
      await server.stop()
      await removeDataDir(dir)
      process.removeListener('exit', removeOnExit)
    }
  }
}

async function serverVersion (url: string): Promise<string> {
  return withClient(url, async client => (await client.query('show server_version')).rows[0].server_version)
}

export interface SuiteDatabase {
  name: string
  url: string
  drop: () => Promise<void>
}

const databasePrefix = (suite: string) => `trainload_bench_${suite.replace(/\W/g, '_')}`

/** A freshly created and migrated database for one suite, so suites never see each other's rows. */
export async function createSuiteDatabase (serverUrl: string, suite: string): Promise<SuiteDatabase> {
  const name = `${databasePrefix(suite)}_${randomBytes(4).toString('hex')}`
  const identifier = pg.escapeIdentifier(name)
  await withClient(serverUrl, client => client.query(`create database ${identifier}`))
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  const drop = () => withClient(serverUrl, async client => {
    await client.query(`drop database if exists ${identifier} with (force)`)
  })
  await migrateDatabaseAt(url.href).catch(async err => {
    await drop()
    throw err
  })
  return { name, url: url.href, drop }
}

/**
 * Names of the bench databases left on a server (none, once a run has finished), or of the
 * named suites' only: other runs on the same server may be under way.
 */
export async function listBenchDatabases (serverUrl: string, suites?: string[]): Promise<string[]> {
  const names = await withClient(serverUrl, async client =>
    (await client.query<{ datname: string }>("select datname from pg_database where datname like 'trainload\\_bench\\_%'")).rows
      .map(row => row.datname))
  return suites ? names.filter(name => suites.some(suite => name.startsWith(`${databasePrefix(suite)}_`))) : names
}
