import { randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ConfigError, type Config } from './config.ts'

interface LocalSecret {
  variable: 'ADMIN_TOKEN' | 'TOKEN_ENCRYPTION_KEY'
  file: string
  generate: () => string
}

const localSecrets: LocalSecret[] = [
  { variable: 'ADMIN_TOKEN', file: 'admin-token', generate: () => randomBytes(32).toString('base64url') },
  { variable: 'TOKEN_ENCRYPTION_KEY', file: 'token-key', generate: () => randomBytes(32).toString('base64') }
]

/**
 * Fills in the admin token and the token encryption key. In production both must be
 * configured. Elsewhere a missing one is generated once into DATA_DIR (mode 0600) and reused,
 * so a local install works with no setup; only the file's path is ever logged.
 */
export async function withLocalSecrets (config: Config, log: (message: string) => void): Promise<Config> {
  const missing = localSecrets.filter(s => !config[s.variable])
  if (missing.length === 0) return config
  if (config.NODE_ENV === 'production') {
    throw new ConfigError(`Invalid configuration:\n${missing.map(s => `  ${s.variable}: is required in production`).join('\n')}`)
  }
  const resolved = { ...config }
  await mkdir(config.DATA_DIR, { recursive: true })
  for (const secret of missing) {
    const path = join(config.DATA_DIR, secret.file)
    resolved[secret.variable] = await readFile(path, 'utf8').then(s => s.trim(), async () => {
      const value = secret.generate()
      await writeFile(path, value + '\n', { mode: 0o600, flag: 'wx' })
      log(`generated ${secret.variable} into ${path}`)
      return value
    })
  }
  return resolved
}
