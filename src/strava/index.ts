import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import pLimit from 'p-limit'
import { createStravaApi } from './api-client.ts'
import { migrateJobSchema } from '../db/job-schema.ts'
import { startWorker } from './jobs.ts'
import syncRoutes from './routes.ts'
import webhookRoutes from './webhook-routes.ts'
import { pruneWebhookEvents } from './webhooks.ts'
import { queueRetention, RETENTION_INTERVAL_MS } from './retention.ts'
import { queueAthleteSyncs } from './service.ts'
import type { SyncDependencies } from './sync.ts'
import { syncTaskList } from './tasks.ts'

declare module 'fastify' {
  interface FastifyInstance {
    /** What sync jobs run with: the app's pool, the token path and the rate-budgeted Strava API. */
    stravaSync: SyncDependencies
  }
}

/**
 * Sync jobs the runner takes per Strava call in flight. A job spends part of its time outside
 * its calls (taken, its state marked, its token read, the write after its last page, its
 * end), and with one job per call that time left the call idle; more jobs fill it with their
 * calls. Measured in the sync benchmark: 1.42x the ideal with one job per call (quick size),
 * 1.23x with two, and 1.15x to 1.19x in three runs with three (full size, calls through
 * undici's request). A job holds no connection while it runs; the job engine's pool grows
 * with the jobs only so that all of them can be taken and finished at once.
 */
const JOBS_PER_CALL_SLOT = 3

/**
 * Strava activity sync: the routes, and a graphile-worker runner in this process (unless
 * STRAVA_SYNC_WORKER is false) that starts with the app and stops, letting its jobs finish,
 * when the app closes. The runner and the job schema use JOBS_DATABASE_URL, a direct
 * connection; the sync's own reads and writes go through the app's pool.
 */
export default fp(async function stravaSync (app) {
  const { config } = app
  const now = () => new Date()
  const deps: SyncDependencies = {
    db: app.db,
    cipher: app.tokenCipher,
    strava: app.strava,
    api: createStravaApi({ db: app.db, baseUrl: config.STRAVA_BASE_URL, reserve: config.STRAVA_RATE_RESERVE, now, callsAtOnce: config.STRAVA_SYNC_CONCURRENCY }),
    writeSlots: pLimit(config.STRAVA_SYNC_CONCURRENCY),
    now,
    reconcileDays: config.STRAVA_RECONCILE_DAYS
  }
  app.decorate('stravaSync', deps)
  app.tokenSaveListeners.push(athleteIds => queueAthleteSyncs(app.db, athleteIds).then(() => undefined))

  const jobsUrl = config.JOBS_DATABASE_URL ?? app.databaseUrl
  await migrateJobSchema(jobsUrl)
  if (config.STRAVA_SYNC_WORKER) {
    const runner = await startWorker({
      connectionString: jobsUrl,
      concurrency: JOBS_PER_CALL_SLOT * config.STRAVA_SYNC_CONCURRENCY,
      taskList: syncTaskList(deps, app.log),
      log: message => app.log.debug({ component: 'graphile-worker' }, message)
    })
    app.addHook('onClose', async () => { await runner.stop() })
    if (config.STRAVA_RECONCILE_INTERVAL_S > 0) scheduleReconcile(app, config.STRAVA_RECONCILE_INTERVAL_S)
    if (config.STRAVA_DATA_RETENTION_DAYS !== undefined) await scheduleRetention(app, config.STRAVA_DATA_RETENTION_DAYS, now)
  }
  await app.register(syncRoutes)
  await app.register(webhookRoutes)
}, { name: 'strava-sync', dependencies: ['config', 'database', 'tokens', 'auth', 'openapi'] })

/** Runs `tick` every `intervalMs` until the app closes; a failed tick is logged, and the next one comes. */
function every (app: FastifyInstance, intervalMs: number, what: string, tick: () => Promise<void>): void {
  const timer = setInterval(() => {
    tick().catch(err => app.log.error({ err }, `${what} failed`))
  }, intervalMs).unref()
  app.addHook('onClose', async () => { clearInterval(timer) })
}

/**
 * Every `intervalS` seconds, queues a sync of every connected athlete: an athlete whose
 * backfill is done gets their recent window re-listed, which brings the edits Strava sends no
 * webhook for and any missed event. Instances that tick together queue each athlete once,
 * as the job key keeps one waiting sync per athlete.
 */
function scheduleReconcile (app: FastifyInstance, intervalS: number): void {
  every(app, intervalS * 1000, 'queuing the Strava reconciliation', async () => {
    const [queued, pruned] = await Promise.all([queueAthleteSyncs(app.db, undefined), pruneWebhookEvents(app.db)])
    app.log.info({ athletes: queued.length, webhookEventsPruned: pruned }, 'Strava reconciliation queued')
  })
}

/**
 * Queues the retention job for the next whole hour now and every hour after: the job key
 * makes it one run per hour however many instances ask (src/strava/retention.ts).
 */
async function scheduleRetention (app: FastifyInstance, retentionDays: number, now: () => Date): Promise<void> {
  await queueRetention(app.db, retentionDays, now())
  every(app, RETENTION_INTERVAL_MS, 'queuing the Strava data retention', () => queueRetention(app.db, retentionDays, now()))
}
