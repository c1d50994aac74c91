import type { Command } from 'commander'
import type { Config } from '../config.ts'
import { tokenCipherFromConfig } from '../tokens/crypto.ts'
import { tokenHealthReport } from '../tokens/health.ts'
import { countDueTokens } from '../tokens/queries.ts'
import { refreshDueTokens } from '../tokens/refresh.ts'
import { countStaleTokens, rotateTokenKey } from '../tokens/rotate-key.ts'
import { createStravaClient } from '../tokens/strava-client.ts'
import { integer } from './arguments.ts'
import { withDatabase } from './context.ts'
import { printResult, progressBar } from './output.ts'

const stravaClientFor = (config: Config) => createStravaClient({
  baseUrl: config.STRAVA_BASE_URL,
  clientId: config.STRAVA_CLIENT_ID,
  clientSecret: config.STRAVA_CLIENT_SECRET
})

function registerRefresh (tokens: Command): void {
  tokens.command('refresh')
    .description('refresh every active token whose access token expires soon')
    .option('--within <minutes>', 'refresh tokens expiring within this many minutes', integer(0, 1440), 60)
    .option('--concurrency <n>', 'Strava calls in flight at once', integer(1, 64), 8)
    .option('--json', 'print machine-readable output')
    .action(async (options: { within: number, concurrency: number, json?: boolean }) => {
      const counts = await withDatabase(async ({ config, db }) => {
        const bar = progressBar('refresh', await countDueTokens(db, { withinMinutes: options.within }), options)
        try {
          return await refreshDueTokens({ db, cipher: tokenCipherFromConfig(config), strava: stravaClientFor(config) },
            { withinMinutes: options.within, concurrency: options.concurrency, onProgress: bar.update })
        } finally {
          bar.stop()
        }
      })
      printResult({ ...counts }, options)
    })
}

function registerReport (tokens: Command): void {
  tokens.command('report')
    .description('summary of token health, and the athletes who need attention')
    .option('--json', 'print machine-readable output')
    .action(async (options: { json?: boolean }) => {
      const report = await withDatabase(async ({ db }) => {
        const [invalid, expired] = await Promise.all([
          tokenHealthReport(db, { status: 'invalid', limit: 1000 }),
          tokenHealthReport(db, { status: 'expired', limit: 1000 })
        ])
        return { ...invalid.summary, invalidAthletes: invalid.athletes.map(a => a.athleteId), expiredAthletes: expired.athletes.map(a => a.athleteId) }
      })
      printResult(report, options)
    })
}

function registerRotateKey (tokens: Command): void {
  tokens.command('rotate-key')
    .description('re-encrypt every stored token under TOKEN_ENCRYPTION_KEY (old keys in TOKEN_ENCRYPTION_PREVIOUS_KEYS)')
    .option('--batch-size <n>', 'tokens re-encrypted per transaction', integer(1, 10_000), 500)
    .option('--json', 'print machine-readable output')
    .action(async (options: { batchSize: number, json?: boolean }) => {
      const result = await withDatabase(async ({ config, db }) => {
        const cipher = tokenCipherFromConfig(config)
        const bar = progressBar('re-encrypt', await countStaleTokens(db, cipher), options)
        try {
          const reEncrypted = await rotateTokenKey(db, cipher, { batchSize: options.batchSize, onProgress: bar.update })
          return { reEncrypted, keyId: cipher.currentKeyId }
        } finally {
          bar.stop()
        }
      })
      printResult(result, options)
    })
}

export function registerTokenCommands (program: Command): void {
  const tokens = program.command('tokens').description('Strava tokens: refresh, health report, key rotation')
  registerRefresh(tokens)
  registerReport(tokens)
  registerRotateKey(tokens)
}
