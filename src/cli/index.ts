import { Command } from 'commander'
import { ConfigError } from '../config.ts'
import { migrateToLatest } from '../db/migrations.ts'
import { registerCheck } from './check.ts'
import { withDatabase } from './context.ts'
import { printResult } from './output.ts'
import { registerTokenCommands } from './tokens.ts'
import { registerAcwrCommands } from './acwr.ts'
import { registerSeedCommands } from './seed.ts'
import { registerImportCommand } from './import.ts'
import { registerStravaCommands } from './strava.ts'

const program = new Command('trainload')
  .description('Operate trainload: migrations, ACWR recomputes, Strava tokens and sync, demo data, export imports.')
  .showHelpAfterError()

program.command('migrate')
  .description('apply pending database migrations')
  .option('--json', 'print machine-readable output')
  .action(async (options: { json?: boolean }) => {
    const applied = await withDatabase(({ db }) => migrateToLatest(db))
    printResult({ applied: applied.length, migrations: applied }, options)
  })

registerTokenCommands(program)
registerCheck(program)
registerAcwrCommands(program)
registerSeedCommands(program)
registerImportCommand(program)
registerStravaCommands(program)

program.parseAsync().catch(err => {
  process.stderr.write(`${err instanceof ConfigError ? err.message : `trainload: ${err.message}`}\n`)
  process.exit(1)
})
