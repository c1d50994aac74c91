import type { Command } from 'commander'
import { loadConfig, type Config } from '../config.ts'
import { countExpiredStravaActivities, dropExpiredStravaFields, retentionCutoff } from '../strava/retention.ts'
import { queueAthleteSyncs, queueNamedAthleteSyncs } from '../strava/service.ts'
import { waitForSyncs, type AthleteSyncProgress, type WaitOutcome } from '../strava/sync-progress.ts'
import { createSubscriptionClient, SubscriptionError } from '../strava/webhook-subscription.ts'
import { athleteIds, integer } from './arguments.ts'
import { withDatabase } from './context.ts'
import { printResult, progressBar, type OutputOptions } from './output.ts'

const warn = (message: string) => process.stderr.write(message + '\n')

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

interface SyncOptions extends OutputOptions {
  athlete?: number[]
  full?: boolean
  wait?: boolean
  timeout: number
}

const ENDED_BADLY: readonly string[] = ['failed', 'disconnected']

/** One line per athlete for people: the state, then what explains it. */
function describeAthlete (athlete: AthleteSyncProgress): string {
  const parts = [athlete.state, `${athlete.activitiesSynced} activities synced`, athlete.backfillComplete ? 'backfill complete' : `backfill at page ${athlete.backfillPages}`]
  if (athlete.nextAttemptAt) parts.push(`next attempt ${athlete.nextAttemptAt}`)
  if (athlete.lastError) parts.push(`error: ${athlete.lastError}`)
  return parts.join(', ')
}

function printSyncResult (queued: number[], wait: { outcome: WaitOutcome, athletes: AthleteSyncProgress[] }, options: OutputOptions): void {
  const athletes = wait.athletes.map(({ settled: _settled, ...athlete }) => athlete)
  if (options.json) return printResult({ queued: queued.length, wait: wait.outcome, athletes }, options)
  printResult({ queued: queued.length, wait: wait.outcome, ...Object.fromEntries(wait.athletes.map(a => [`athlete ${a.athleteId}`, describeAthlete(a)])) }, options)
}

/** Why the command exits with 1, if it does: the wait did not see every sync settle, or some ended failed or disconnected. */
function syncTrouble (outcome: WaitOutcome, athletes: AthleteSyncProgress[], timeoutS: number): string | undefined {
  if (outcome === 'no-worker') {
    return 'no Strava sync worker is running against this database, so nothing runs the queued syncs: they wait until an instance of the ' +
      'service starts with STRAVA_SYNC_WORKER=true (the default)'
  }
  if (outcome === 'timed-out') {
    const open = athletes.filter(a => !a.settled).map(a => a.athleteId)
    return `gave up waiting after ${timeoutS} s with athlete ${open.join(', ')} still syncing; ` +
      'the worker goes on with them, and GET /api/athletes/:athleteId/strava/sync shows where they are'
  }
  const bad = athletes.filter(a => ENDED_BADLY.includes(a.state))
  if (bad.length > 0) return `the sync of athlete ${bad.map(a => `${a.athleteId} (${a.state})`).join(', ')} did not succeed`
  return undefined
}

function registerSync (strava: Command): void {
  strava.command('sync')
    .description('queue a Strava sync of the named athletes (all-or-nothing), or of every athlete with a usable Strava token; ' +
      'the service\'s worker runs it')
    .option('--athlete <id...>', 'athletes to sync: one or more ids, or the option repeated (default: every connected athlete)', athleteIds)
    .option('--full', 'start each backfill over: list the whole Strava history again, newest first')
    .option('--wait', 'wait until each sync settles (idle, deferred, failed or disconnected), with a progress bar; ' +
      'needs an instance of the service running the worker against the same database (exit code 1 when none is, or when a sync fails)')
    .option('--timeout <seconds>', 'with --wait, give up after this many seconds (exit code 1)', integer(1, 7 * 86_400), 600)
    .option('--json', 'print machine-readable output')
    .action(async (options: SyncOptions) => {
      const trouble = await withDatabase(async ({ db }) => {
        const queue = { full: options.full }
        const queued = options.athlete ? await queueNamedAthleteSyncs(db, options.athlete, queue) : await queueAthleteSyncs(db, undefined, queue)
        if (!options.wait) {
          printResult({ queued: queued.length, athleteIds: queued }, options)
          return undefined
        }
        const bar = progressBar('athletes', queued.length, options)
        let wait: Awaited<ReturnType<typeof waitForSyncs>>
        try {
          wait = await waitForSyncs(db, queued, {
            timeoutMs: options.timeout * 1000,
            onProgress: athletes => {
              const activities = athletes.reduce((sum, a) => sum + a.activitiesSynced, 0)
              const pages = athletes.reduce((sum, a) => sum + a.backfillPages, 0)
              bar.detail(`${activities} activities, ${pages} backfill pages`)
              bar.update(athletes.filter(a => a.settled).length)
            }
          })
        } finally {
          bar.stop()
        }
        printSyncResult(queued, wait, options)
        return syncTrouble(wait.outcome, wait.athletes, options.timeout)
      })
      if (trouble) {
        warn(`trainload: ${trouble}`)
        process.exitCode = 1
      }
    })
}

const subscriptionClientFor = (config: Config) => createSubscriptionClient({
  baseUrl: config.STRAVA_BASE_URL,
  clientId: config.STRAVA_CLIENT_ID,
  clientSecret: config.STRAVA_CLIENT_SECRET
})

function defaultCallbackUrl (config: Config): string {
  return new URL('/webhooks/strava', config.PUBLIC_URL).href
}

function registerWebhook (strava: Command): void {
  const webhook = strava.command('webhook').description('the Strava application\'s webhook subscription (one per application)')

  webhook.command('subscribe')
    .description('subscribe the Strava application to webhook events; Strava checks the callback before it answers')
    .option('--callback-url <url>', 'where Strava sends events (default: PUBLIC_URL/webhooks/strava)')
    .option('--json', 'print machine-readable output')
    .action(async (options: OutputOptions & { callbackUrl?: string }) => {
      const config = loadConfig()
      const verifyToken = config.STRAVA_WEBHOOK_VERIFY_TOKEN
      if (!verifyToken) throw new SubscriptionError('STRAVA_WEBHOOK_VERIFY_TOKEN is not set: set it, to the same value on every instance, before subscribing')
      const callbackUrl = options.callbackUrl ?? defaultCallbackUrl(config)
      if (!URL.canParse(callbackUrl) || !/^https?:$/.test(new URL(callbackUrl).protocol)) throw new SubscriptionError(`--callback-url ${callbackUrl} is not an http(s) URL`)
      const id = await subscriptionClientFor(config).create(callbackUrl, verifyToken)
      printResult({ id, callbackUrl }, options)
      if (config.STRAVA_SUBSCRIPTION_ID !== id) {
        warn(`Set STRAVA_SUBSCRIPTION_ID=${id} on every instance: the webhook route then ignores events of any other subscription.`)
      }
    })

  webhook.command('status')
    .description('show the Strava application\'s webhook subscription, and whether STRAVA_SUBSCRIPTION_ID matches it')
    .option('--json', 'print machine-readable output')
    .action(async (options: OutputOptions) => {
      const config = loadConfig()
      const [subscription] = await subscriptionClientFor(config).list()
      const configuredId = config.STRAVA_SUBSCRIPTION_ID ?? null
      printResult(subscription ? { subscribed: true, ...subscription, configuredId } : { subscribed: false, configuredId }, options)
      if (subscription && configuredId !== subscription.id) {
        warn(`STRAVA_SUBSCRIPTION_ID is ${configuredId ?? 'unset'}; set it to ${subscription.id} on every instance.`)
      } else if (!subscription && configuredId !== null) {
        warn(`STRAVA_SUBSCRIPTION_ID is ${configuredId}, but the application has no subscription: \`trainload strava webhook subscribe\` makes one.`)
      }
    })

  webhook.command('unsubscribe')
    .description('delete the Strava application\'s webhook subscription; activities then arrive through the scheduled re-list only')
    .option('--json', 'print machine-readable output')
    .action(async (options: OutputOptions) => {
      const config = loadConfig()
      const client = subscriptionClientFor(config)
      const [subscription] = await client.list()
      if (!subscription) throw new SubscriptionError('this Strava application has no webhook subscription to delete')
      await client.remove(subscription.id)
      printResult({ deleted: subscription.id, callbackUrl: subscription.callbackUrl }, options)
      if (config.STRAVA_SUBSCRIPTION_ID !== undefined) warn('Remove STRAVA_SUBSCRIPTION_ID, or set it to the id of the next subscription.')
    })
}

export function registerStravaCommands (program: Command): void {
  const strava = program.command('strava').description('Strava sync: queue and wait for syncs, the webhook subscription, data retention')
  registerSync(strava)
  registerWebhook(strava)
  registerRetention(strava)
}
