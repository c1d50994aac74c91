import { InvalidArgumentError, type Command } from 'commander'
import { recalculateAcwr } from '../acwr/recalculate.ts'
import { athleteIds } from './arguments.ts'
import { withDatabase } from './context.ts'
import { printResult, progressBar } from './output.ts'

function day (value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) !== value) {
    throw new InvalidArgumentError('a day is YYYY-MM-DD')
  }
  return value
}

export function registerAcwrCommands (program: Command): void {
  const acwr = program.command('acwr').description('ACWR maintenance')
  acwr.command('recalc')
    .description('recompute ACWR for some athletes (or all), from a day (or their whole history); an athlete that cannot be computed is named and the rest go on (exit code 1)')
    .option('--athlete <id>', 'an athlete to recompute; repeat for several', athleteIds)
    .option('--from <day>', 'recompute from this day (YYYY-MM-DD) instead of the whole history', day)
    .option('--json', 'print machine-readable output')
    .action(async (options: { athlete?: number[], from?: string, json?: boolean }) => {
      const result = await withDatabase(async ({ config, db }) => {
        let bar: ReturnType<typeof progressBar> | undefined
        const summary = await recalculateAcwr(db, {
          athleteIds: options.athlete,
          from: options.from ?? null,
          batchSize: config.ACWR_BATCH_ATHLETES,
          concurrency: config.ACWR_RECOMPUTE_CONCURRENCY,
          onBatch: (done, total) => {
            bar ??= progressBar('batches', total, options)
            bar.update(done)
          },
          onAthleteFailed: (athleteId, err) => {
            process.stderr.write(`athlete ${athleteId}: ${err instanceof Error ? err.message : String(err)}\n`)
          }
        })
        bar?.stop()
        return summary
      })
      printResult(result, options)
      // Every other athlete was computed; a script still learns that some were not.
      if (result.failed > 0) process.exitCode = 1
    })
}
