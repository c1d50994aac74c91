import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.ts'
import { ConfigError, loadConfig } from './config.ts'
import { openDatabaseServer } from './db/database-server.ts'
import { migrateDatabaseAt } from './db/migrations.ts'
import { seedDemoOnFirstStart } from './demo/first-start.ts'
import { withLocalSecrets } from './secrets.ts'

async function start (): Promise<void> {
  const log = (message: string) => console.log(message)
  const config = await withLocalSecrets(loadConfig(), log)
  const database = await openDatabaseServer(config, log)
  const applied = await migrateDatabaseAt(database.url)
  const app = await buildApp({ config, databaseUrl: database.url })

  // On Ctrl-C or SIGTERM: stop accepting requests, let in-flight ones finish, drain the pool,
  // then stop the embedded server so that no postgres process outlives the service.
  closeWithGrace({ delay: 15_000 }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an unexpected error')
    else app.log.info({ signal }, 'shutting down')
    await app.close()
    await database.stop()
  })
  if (applied.length > 0) app.log.info({ migrations: applied }, 'applied pending migrations')
  await app.ready()
  await seedDemoOnFirstStart(app.db, config, app.log)
  const address = await app.listen({ port: config.PORT, host: config.HOST })
  app.log.info(`trainload listening on ${address}`)
}

start().catch(err => {
  console.error(err instanceof ConfigError ? err.message : err)
  process.exit(1)
})
