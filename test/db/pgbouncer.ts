import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createConnection } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { freePort } from '../fixtures.ts'

/** The pgbouncer program on PATH or in Debian's /usr/sbin, or undefined when not installed. */
export function findPgBouncer (): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin']
  return dirs.map(dir => join(dir, 'pgbouncer')).find(path => existsSync(path))
}

export interface PgBouncer {
  /** Connection string for `database` through PgBouncer. */
  url: string
  stop: () => Promise<void>
}

export interface PgBouncerOptions {
  /** A connection string for the real database, whose user and password PgBouncer logs in with. */
  serverUrl: string
  /** The name clients use for it. */
  database: string
  /** Server connections per database and user: fewer than the instances' pools hold together. */
  poolSize: number
}

/**
 * The configuration the README's "Scaling out" section describes. Transaction pooling hands
 * a server connection to a client for one transaction only. pg sends statement_timeout as a
 * startup parameter, which PgBouncer would refuse: it is ignored here, and the timeout is set
 * on the server (ALTER DATABASE/ROLE ... SET statement_timeout) so every pooled connection has it.
 */
function configuration ({ serverUrl, database, poolSize }: PgBouncerOptions, port: number, dir: string): string {
  const server = new URL(serverUrl)
  const target = [
    `host=${server.hostname}`, `port=${server.port || 5432}`, `dbname=${server.pathname.slice(1)}`,
    `user=${decodeURIComponent(server.username)}`,
    ...(server.password ? [`password=${decodeURIComponent(server.password)}`] : [])
  ].join(' ')
  return `[databases]
${database} = ${target}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${port}
unix_socket_dir = ${dir}
pidfile = ${join(dir, 'pgbouncer.pid')}
auth_type = trust
auth_file = ${join(dir, 'userlist.txt')}
pool_mode = transaction
default_pool_size = ${poolSize}
max_client_conn = 200
ignore_startup_parameters = statement_timeout
`
}

const accepts = (port: number) => new Promise<boolean>(resolve => {
  const socket = createConnection({ host: '127.0.0.1', port })
  socket.once('connect', () => { socket.destroy(); resolve(true) })
  socket.once('error', () => resolve(false))
})

/**
 * Starts PgBouncer in front of `serverUrl`, listening on a free loopback port, with its files
 * in a temporary folder. PgBouncer refuses to run as root, so under root it drops to the
 * `postgres` user (-u), which must be able to read and write that folder.
 */
export async function startPgBouncer (binary: string, options: PgBouncerOptions): Promise<PgBouncer> {
  const dir = await mkdtemp(join(tmpdir(), 'trainload-pgbouncer-'))
  await chmod(dir, 0o777)
  const port = await freePort()
  const user = decodeURIComponent(new URL(options.serverUrl).username)
  await writeFile(join(dir, 'userlist.txt'), `"${user}" ""\n`, { mode: 0o644 })
  await writeFile(join(dir, 'pgbouncer.ini'), configuration(options, port, dir), { mode: 0o644 })
  const asRoot = process.getuid?.() === 0
  const child = spawn(binary, [...(asRoot ? ['-u', 'postgres'] : []), join(dir, 'pgbouncer.ini')], { stdio: ['ignore', 'ignore', 'pipe'] })
  let log = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { log = (log + chunk).slice(-4000) })
  const exited = once(child, 'exit')
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      await exited
    }
    await rm(dir, { recursive: true, force: true })
  }
  for (let waited = 0; !(await accepts(port)); waited += 50) {
    if (child.exitCode !== null || waited > 10_000) {
      await stop()
      throw new Error(`pgbouncer did not start:\n${log}`)
    }
    await sleep(50)
  }
  const url = new URL(options.serverUrl)
  url.hostname = '127.0.0.1'
  url.port = String(port)
  url.pathname = `/${options.database}`
  return { url: url.href, stop }
}
