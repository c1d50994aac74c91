import closeWithGrace from 'close-with-grace'
import { recalculateAcwr } from './acwr/recalculate.ts'
import { buildApp, type App } from './app.ts'
import { ConfigError, loadConfig } from './config.ts'
import { openDatabaseServer, type DatabaseServer } from './db/database-server.ts'
import { migrateDatabaseAt } from './db/migrations.ts'
import { seedDemoOnFirstStart } from './demo/first-start.ts'
import { withLocalSecrets } from './secrets.ts'

const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const

async function start (): Promise<void> {
  const log = (message: string) => console.log(message)
  const opened: { app?: App, database?: DatabaseServer } = {}
  // On Ctrl-C or SIGTERM: stop accepting requests, let in-flight ones finish, drain the pool,
  // then stop the embedded server so that no postgres process outlives the service. A
  // signal during the start closes what is open so far.
  const shutdown = closeWithGrace({ delay: 15_000, skip: [...STOP_SIGNALS] }, async ({ err }) => {
    if (err && opened.app) opened.app.log.error({ err }, 'shutting down after an unexpected error')
    else if (err) console.error('shutting down after an unexpected error:', err)
    await opened.app?.close()
    await opened.database?.stop()
  })
  stopOnSignals(signal => {
    if (opened.app) opened.app.log.info({ signal }, 'shutting down')
    else log(`${signal}: shutting down`)
    shutdown.close()
  })

  const config = await withLocalSecrets(loadConfig(), log)
  const database = opened.database = await openDatabaseServer(config, log, { ownProcessGroup: true })
  const applied = await migrateDatabaseAt(database.url)
  const app = opened.app = await buildApp({ config, databaseUrl: database.url })
  await app.ready()
  if (applied.length > 0) {
    app.log.info({ migrations: applied }, 'applied pending migrations')
    await rebuildSeriesAfterMigrations(app)
  }
  await seedDemoOnFirstStart(app.db, config, app.log)
  const address = await app.listen({ port: config.PORT, host: config.HOST })
  app.log.info(`trainload listening on ${address}`)
}

/**
 * A migration that changes how loads or series are computed removes the series it makes
 * stale: it cannot run today's ACWR/PMC statement, which may read columns of later
 * migrations. Once every migration has run, this rebuilds them, set-based and in parallel
 * batches, before the service answers; athletes whose series is current write nothing.
 */
async function rebuildSeriesAfterMigrations (app: App): Promise<void> {
  const result = await recalculateAcwr(app.db, {
    from: 'roll-forward',
    batchSize: app.config.ACWR_BATCH_ATHLETES,
    concurrency: app.config.ACWR_RECOMPUTE_CONCURRENCY,
    onAthleteFailed: (athleteId, err) => app.log.error({ err, athleteId }, 'rebuilding the ACWR and PMC series failed for one athlete')
  })
  app.log.info(result, 'ACWR and PMC series up to date after the migrations')
}

/**
 * Ctrl-C in a terminal signals the whole foreground process group, so under `npm start` the
 * server gets SIGINT twice: from the terminal and from npm, which forwards it. A repeated
 * signal while closing is therefore expected, not a request to hurry; the close has its own
 * time limit.
 */
function stopOnSignals (stop: (signal: NodeJS.Signals) => void): void {
  let closing = false
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) return
    closing = true
    stop(signal)
  }
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal)
}

start().catch(err => {
  console.error(err instanceof ConfigError ? err.message : err)
  process.exit(1)
})
