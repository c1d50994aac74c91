import { readFile, rm, writeFile } from 'node:fs/promises'
import pg from 'pg'
import { join } from 'node:path'
import type { Config } from '../config.ts'
import { startEmbeddedPostgres, type EmbeddedOptions } from './embedded.ts'

export interface DatabaseServer {
  url: string
  /** True when trainload started the server itself, and will stop it. */
  embedded: boolean
  stop: () => Promise<void>
}

export const embeddedUrlFile = (dataDir: string) => join(dataDir, 'database-url')

/**
 * The PostgreSQL the service uses: DATABASE_URL when set, otherwise the embedded server kept
 * in `DATA_DIR/postgres` (its password in `DATA_DIR/postgres-password`), whose address is
 * written down for `npm run db:*` tools.
 */
export async function openDatabaseServer (config: Config, log: (message: string) => void, options: Pick<EmbeddedOptions, 'ownProcessGroup'> = {}): Promise<DatabaseServer> {
  if (config.DATABASE_URL) return { url: config.DATABASE_URL, embedded: false, stop: async () => {} }
  // A CLI command run beside `npm start` shares that service's embedded server.
  const running = await runningEmbeddedUrl(config.DATA_DIR)
  if (running) return { url: running, embedded: false, stop: async () => {} }

  const server = await startEmbeddedPostgres({
    dataDir: join(config.DATA_DIR, 'postgres'),
    database: 'trainload',
    preferredPort: config.EMBEDDED_PG_PORT,
    onNotice: log,
    ...options
  })
  const urlFile = embeddedUrlFile(config.DATA_DIR)
  await writeFile(urlFile, server.url + '\n', { mode: 0o600 })
  log(`embedded PostgreSQL 17 listening on 127.0.0.1:${server.port}`)
  return {
    url: server.url,
    embedded: true,
    stop: async () => {
      await rm(urlFile, { force: true })
      await server.stop()
    }
  }
}

async function runningEmbeddedUrl (dataDir: string): Promise<string | undefined> {
  const url = await readFile(embeddedUrlFile(dataDir), 'utf8').then(s => s.trim(), () => undefined)
  if (!url) return undefined
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 })
  return client.connect().then(() => url, () => undefined).finally(() => client.end().catch(() => {}))
}
