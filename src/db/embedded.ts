import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chown, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve, sep } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { withClient } from './database.ts'
import { passwordFileOf, readOrCreatePassword, SUPERUSER, switchToOwnPassword, writeLoginRules } from './embedded-login.ts'
import { ROOT_STATE_DIR, serverAccount, serverBinaries, serverDataDir, type ServerAccount, type ServerBinaries } from './embedded-runtime.ts'

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
  /** PostgreSQL's own output. */
  onLog?: (message: string) => void
  /** What trainload did to the folder that an operator should know (never a secret). */
  onNotice?: (message: string) => void
  /**
   * Runs the server in a process group of its own, so that a terminal's Ctrl-C (sent to the
   * whole foreground group) does not end it under the service's open connections. The caller
   * then stops it on SIGINT itself, after its clients are done.
   */
  ownProcessGroup?: boolean
}

interface Cluster {
  dataDir: string
  binaries: ServerBinaries
  account?: ServerAccount
  ownProcessGroup: boolean
  onLog: (message: string) => void
}

/**
 * Starts (initialising on first use) a PostgreSQL 17 server whose data lives in `dataDir`,
 * listening on loopback only, and makes sure `database` exists. The superuser's password is
 * generated into the file beside the folder (`<dataDir>-password`, mode 0600).
 */
export async function startEmbeddedPostgres (options: EmbeddedOptions): Promise<EmbeddedServer> {
  const dataDir = resolve(options.dataDir)
  const account = await serverAccount()
  const cluster: Cluster = {
    dataDir: await serverDataDir(dataDir, account),
    binaries: await serverBinaries(account),
    account,
    ownProcessGroup: options.ownProcessGroup ?? false,
    onLog: options.onLog ?? (() => {})
  }
  await prepareDataDir(cluster)
  await stopStaleServer(cluster.dataDir)
  const { password } = await readOrCreatePassword(dataDir)
  if (!existsSync(join(cluster.dataDir, 'PG_VERSION'))) await initialise(cluster, password)
  await writeLoginRules(cluster.dataDir)

  const { postmaster, port } = await launchOnFreePort(cluster, options.preferredPort ?? 0,
    taken => options.onNotice?.(`port ${taken} was taken as the embedded PostgreSQL started on it; starting it on another`))
  // Last resort if the process exits without stopping the server: a signal is all an 'exit'
  // handler can send.
  const stopOnExit = () => { postmaster.kill('SIGINT') }
  process.once('exit', stopOnExit)
  const stop = async () => {
    process.removeListener('exit', stopOnExit)
    await stopPostmaster(postmaster)
  }
  try {
    if (await switchToOwnPassword(port, password, passwordFileOf(dataDir))) {
      options.onNotice?.(`the embedded PostgreSQL no longer accepts its former fixed password; its generated one is in ${passwordFileOf(dataDir)}`)
    }
    await createDatabaseIfMissing(serverUrl(port, password, 'postgres'), options.database)
  } catch (err) {
    await stop()
    throw err
  }
  return { url: serverUrl(port, password, options.database), port, stop }
}

/**
 * Removes a folder that held throwaway data folders once their servers have stopped, with
 * any data kept for them under ROOT_STATE_DIR (see serverDataDir).
 */
export async function removeDataDir (folder: string): Promise<void> {
  for (const entry of await readdir(folder, { withFileTypes: true }).catch(() => [])) {
    if (!entry.isSymbolicLink()) continue
    const target = await readlink(join(folder, entry.name))
    if (target.startsWith(join(ROOT_STATE_DIR, 'clusters') + sep)) await rm(target, { recursive: true, force: true })
  }
  await rm(folder, { recursive: true, force: true })
}

function serverUrl (port: number, password: string, database: string): string {
  return `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`
}

async function prepareDataDir ({ dataDir, account }: Cluster): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  if (account && !existsSync(join(dataDir, 'PG_VERSION'))) await chown(dataDir, account.uid, account.gid)
}

/**
 * initdb reads the superuser's password from a file. It lives in a folder of its own that
 * only the server's account can read, and only while initdb runs.
 */
async function initialise (cluster: Cluster, password: string): Promise<void> {
  const folder = await mkdtemp(join(tmpdir(), 'trainload-initdb-'))
  try {
    const passwordFile = join(folder, 'password')
    await writeFile(passwordFile, password + '\n', { mode: 0o600 })
    if (cluster.account) {
      await chown(folder, cluster.account.uid, cluster.account.gid)
      await chown(passwordFile, cluster.account.uid, cluster.account.gid)
    }
    const initdb = spawnAsServer(cluster, cluster.binaries.initdb, [
      `--pgdata=${cluster.dataDir}`, '--auth=scram-sha-256', `--username=${SUPERUSER}`,
      `--pwfile=${passwordFile}`, '--lc-messages=C'
    ])
    const output = collectOutput(initdb, cluster.onLog)
    const [code] = await exitOf(initdb)
    if (code !== 0) throw new Error(`initdb failed (exit ${code}):\n${output()}`)
  } finally {
    await rm(folder, { recursive: true, force: true })
  }
}

/** The server could not bind its port: something else took it after it was found free. */
class PortTakenError extends Error {}

/** Starts made on a new port when the one found free is taken before the server binds it. */
const PORT_ATTEMPTS = 3

/**
 * Starts the server on the preferred port when it is free, otherwise on one the kernel picks.
 * A port found free can be taken before the server binds it (another trainload starting at
 * the same moment probes the same preferred port): the server then exits at once, and is
 * started again on a port the kernel picks.
 */
async function launchOnFreePort (cluster: Cluster, preferred: number, onTaken: (port: number) => void): Promise<{ postmaster: ChildProcess, port: number }> {
  for (let attempt = 1; ; attempt++) {
    const port = await choosePort(attempt === 1 ? preferred : 0)
    try {
      return { postmaster: await launch(cluster, port), port }
    } catch (err) {
      if (!(err instanceof PortTakenError) || attempt === PORT_ATTEMPTS) throw err
      onTaken(port)
    }
  }
}

/** Spawns the postmaster and resolves once it accepts connections. */
async function launch (cluster: Cluster, port: number): Promise<ChildProcess> {
  const postmaster = spawnAsServer(cluster, cluster.binaries.postgres, [
    '-D', cluster.dataDir, '-p', String(port),
    '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'lc_messages=C'
  ])
  const output = collectOutput(postmaster, cluster.onLog)
  const ready = new Promise<void>(resolve => {
    postmaster.stderr!.on('data', () => { if (output().includes('database system is ready to accept connections')) resolve() })
  })
  const early = exitOf(postmaster).then(([code, signal]) => {
    const Failure = output().includes('Address already in use') ? PortTakenError : Error
    throw new Failure(`the embedded PostgreSQL exited while starting (${signal ?? `exit ${code}`}):\n${output()}`)
  })
  await Promise.race([ready, early])
  early.catch(() => {})
  return postmaster
}

function spawnAsServer (cluster: Cluster, binary: string, args: string[]): ChildProcess {
  return spawn(binary, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LC_MESSAGES: 'C' },
    // The account may not be able to enter the folder the service was started from.
    cwd: '/',
    detached: cluster.ownProcessGroup,
    ...(cluster.account ?? {})
  })
}

/** Passes a child's output on and keeps its last lines for an error message. */
function collectOutput (child: ChildProcess, onLog: (message: string) => void): () => string {
  let tail = ''
  const keep = (chunk: Buffer) => {
    const text = chunk.toString('utf8')
    onLog(text)
    tail = (tail + text).slice(-4000)
  }
  child.stdout!.on('data', keep)
  child.stderr!.on('data', keep)
  return () => tail
}

function exitOf (child: ChildProcess): Promise<[number | null, NodeJS.Signals | null]> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve([child.exitCode, child.signalCode])
  return new Promise(resolve => child.once('exit', (code, signal) => resolve([code, signal])))
}

/** Fast shutdown (SIGINT): sessions are ended, the data is checkpointed. */
async function stopPostmaster (postmaster: ChildProcess): Promise<void> {
  const exited = exitOf(postmaster)
  postmaster.kill('SIGINT')
  await exited
}

async function postmasterPid (dataDir: string): Promise<number> {
  return Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0])
}

async function createDatabaseIfMissing (adminUrl: string, database: string): Promise<void> {
  await withClient(adminUrl, async client => {
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
