import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import pg from 'pg'

export const SUPERUSER = 'postgres'

// Data folders created before trainload generated a password used this fixed one; a start
// that finds it still working replaces it (see switchToOwnPassword).
const LEGACY_PASSWORD = 'postgres'

// Rewritten at every start so that a folder made with older settings (cleartext `password`
// logins) is switched over too: every login needs the password, checked by SCRAM (RFC 7677),
// and the server listens on loopback only.
const HBA_RULES = `# Written by trainload at every start; edits are overwritten.
local all all scram-sha-256
host all all 127.0.0.1/32 scram-sha-256
host all all ::1/128 scram-sha-256
local replication all scram-sha-256
host replication all 127.0.0.1/32 scram-sha-256
host replication all ::1/128 scram-sha-256
`

/** The file beside a data folder that holds its superuser password. */
export const passwordFileOf = (dataDir: string) => `${dataDir}-password`

/** The superuser password of `dataDir`, generated (mode 0600) on first use; never logged. */
export async function readOrCreatePassword (dataDir: string): Promise<{ password: string, created: boolean }> {
  const file = passwordFileOf(dataDir)
  const stored = await readFile(file, 'utf8').then(s => s.trim(), () => '')
  if (stored) return { password: stored, created: false }
  const password = randomBytes(32).toString('base64url')
  await writeFile(file, password + '\n', { mode: 0o600, flag: 'wx' })
  return { password, created: true }
}

export async function writeLoginRules (dataDir: string): Promise<void> {
  await writeFile(join(dataDir, 'pg_hba.conf'), HBA_RULES)
}

/**
 * Makes `password` the superuser's. A folder from before generated passwords still accepts
 * the fixed one: log in with that once and store the new password's SCRAM verifier, computed
 * here so that the password itself never reaches the server (or its log).
 * Resolves to true when it had to switch.
 */
export async function switchToOwnPassword (port: number, password: string, passwordFile: string): Promise<boolean> {
  if (await canLogIn(port, password)) return false
  if (!await canLogIn(port, LEGACY_PASSWORD)) {
    throw new Error(`The embedded PostgreSQL refuses the password in ${passwordFile}: restore that file, or remove the data folder beside it to start afresh.`)
  }
  const client = new pg.Client(loginOptions(port, LEGACY_PASSWORD))
  await client.connect()
  try {
    await client.query(`alter role ${pg.escapeIdentifier(SUPERUSER)} password ${pg.escapeLiteral(scramVerifier(password))}`)
  } finally {
    await client.end()
  }
  return true
}

async function canLogIn (port: number, password: string): Promise<boolean> {
  const client = new pg.Client(loginOptions(port, password))
  try {
    await client.connect()
    return true
  } catch (err) {
    if ((err as { code?: string }).code === '28P01') return false
    throw err
  } finally {
    await client.end().catch(() => {})
  }
}

function loginOptions (port: number, password: string): pg.ClientConfig {
  return { host: '127.0.0.1', port, user: SUPERUSER, password, database: 'postgres', connectionTimeoutMillis: 5000 }
}

/**
 * PostgreSQL's stored form of a SCRAM-SHA-256 secret: `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`
 * (RFC 5802 section 3, with SHA-256 as RFC 7677 names it; 4096 iterations is PostgreSQL's
 * default scram_iterations). The password is base64url, so SASLprep leaves it unchanged.
 */
export function scramVerifier (password: string, salt = randomBytes(16), iterations = 4096): string {
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256')
  const clientKey = createHmac('sha256', salted).update('Client Key').digest()
  const storedKey = createHash('sha256').update(clientKey).digest()
  const serverKey = createHmac('sha256', salted).update('Server Key').digest()
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`
}
