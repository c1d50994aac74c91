import { open } from 'node:fs/promises'
import { InvalidArgumentError, type Command } from 'commander'
import { importExport, type ImportFormat } from '../imports/service.ts'
import { withDatabase } from './context.ts'
import { printResult, progressBar } from './output.ts'

function athleteIdArgument (value: string): number {
  const id = Number(value)
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(id) || id < 1) throw new InvalidArgumentError('an athlete id is a positive integer')
  return id
}

/** A zip archive starts with the local file header signature "PK\x03\x04"; anything else is read as activities.csv. */
async function formatOf (path: string): Promise<ImportFormat> {
  const file = await open(path, 'r')
  try {
    const { buffer, bytesRead } = await file.read(Buffer.alloc(4), 0, 4, 0)
    return bytesRead === 4 && buffer.readUInt32LE(0) === 0x04034b50 ? 'zip' : 'csv'
  } finally {
    await file.close()
  }
}

export function registerImportCommand (program: Command): void {
  program.command('import')
    .description('import a Strava account export (the zip, or its activities.csv) for an athlete, all or nothing')
    .argument('<athleteId>', 'the trainload athlete id', athleteIdArgument)
    .argument('<file>', 'the export zip or activities.csv')
    .option('--json', 'print machine-readable output')
    .action(async (athleteId: number, file: string, options: { json?: boolean }) => {
      const format = await formatOf(file)
      const result = await withDatabase(async ({ db, config }) => {
        let bar: ReturnType<typeof progressBar> | undefined
        let stage: string | undefined
        const summary = await importExport(db, athleteId, file, format, {
          limits: { maxActivities: config.MAX_ACTIVITIES_PER_ATHLETE },
          onProgress: progress => {
            if (progress.stage === 'read') return
            if (stage !== progress.stage) {
              bar?.stop()
              stage = progress.stage
              bar = progressBar(progress.stage === 'files' ? 'activity files' : 'rows written', progress.total, options)
            }
            bar!.update(progress.done)
          }
        })
        bar?.stop()
        return summary
      })
      printResult({ ...result }, options)
    })
}
