import type { Command } from 'commander'
import { countExpiredStravaActivities, dropExpiredStravaFields, retentionCutoff } from '../strava/retention.ts'
import { withDatabase } from './context.ts'
import { printResult, progressBar, type OutputOptions } from './output.ts'

function registerRetention (strava: Command): void {
  strava.command('retention')
    .description('drop now the raw fields of Strava activities older than STRAVA_DATA_RETENTION_DAYS (the worker does it every hour)')
    .option('--json', 'print machine-readable output')
    .action(async (options: OutputOptions) => {
      const result = await withDatabase(async ({ config, db }) => {
        const retentionDays = config.STRAVA_DATA_RETENTION_DAYS
        if (retentionDays === undefined) throw new Error('STRAVA_DATA_RETENTION_DAYS is not set, so every Strava field is kept; set it to the days to keep')
        const now = new Date()
        const bar = progressBar('activities', await countExpiredStravaActivities(db, retentionCutoff(now, retentionDays)), options)
        try {
          return { retentionDays, ...await dropExpiredStravaFields(db, { retentionDays, now, onChunk: bar.update }) }
        } finally {
          bar.stop()
        }
      })
      printResult(result, options)
    })
}

export function registerStravaCommands (program: Command): void {
  const strava = program.command('strava').description('Strava sync: data retention')
  registerRetention(strava)
}
