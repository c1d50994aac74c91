import { InvalidArgumentError, type Command } from 'commander'
import { DEMO_ATHLETE_COUNT, DEMO_DAYS } from '../demo/fleet.ts'
import { demoToday, seedDemo } from '../demo/seed.ts'
import { withDatabase } from './context.ts'
import { printResult, progressBar } from './output.ts'

const upTo = (max: number) => (value: string) => {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > max) throw new InvalidArgumentError(`expected an integer from 1 to ${max}`)
  return n
}

export function registerSeedCommands (program: Command): void {
  const seed = program.command('seed').description('load sample data')
  seed.command('demo')
    .description(`upsert the demo fleet (${DEMO_ATHLETE_COUNT} athletes, 18 months) through the batch services, ` +
      'and write a demo athlete\'s id and API key to DATA_DIR/demo-athlete-key')
    .option('--athletes <n>', 'seed only the first n demo athletes', upTo(DEMO_ATHLETE_COUNT), DEMO_ATHLETE_COUNT)
    .option('--days <n>', 'seed only the last n days of their history', upTo(DEMO_DAYS), DEMO_DAYS)
    .option('--json', 'print machine-readable output')
    .action(async (options: { athletes: number, days: number, json?: boolean }) => {
      const report = await withDatabase(async ({ config, db }) => {
        const bar = progressBar('athletes', options.athletes, options)
        try {
          return await seedDemo(db, config.DATA_DIR, { today: demoToday(), athletes: options.athletes, days: options.days, onProgress: bar.update })
        } finally {
          bar.stop()
        }
      })
      printResult(report, options)
    })
}
