import t from 'tap'
import { build } from '../helper.ts'
import { startFake, stravaEnv } from '../tokens/fixtures.ts'
import { runCli } from './run-cli.ts'

const VERIFY_TOKEN = 'verify-token-of-the-service'

t.test('strava webhook subscribe, status and unsubscribe, with Strava checking the app\'s own callback', async t => {
  const fake = await startFake(t)
  const app = await build(t, { env: { ...stravaEnv(fake), STRAVA_WEBHOOK_VERIFY_TOKEN: VERIFY_TOKEN } })
  const publicUrl = await app.listen({ host: '127.0.0.1', port: 0 })
  const callbackUrl = `${publicUrl}/webhooks/strava`
  const outputs: string[] = []
  const webhook = async (args: string[], env: Record<string, string> = {}) => {
    const result = await runCli(t, app.databaseUrl, ['strava', 'webhook', ...args],
      { ...stravaEnv(fake), PUBLIC_URL: publicUrl, STRAVA_WEBHOOK_VERIFY_TOKEN: VERIFY_TOKEN, ...env })
    outputs.push(result.stdout, result.stderr)
    return result
  }

  const wrongToken = await webhook(['subscribe'], { STRAVA_WEBHOOK_VERIFY_TOKEN: 'not-the-service-token' })
  t.equal(wrongToken.code, 1)
  t.match(wrongToken.stderr, `Strava could not verify the callback ${callbackUrl}: `)
  t.match(wrongToken.stderr, /same STRAVA_WEBHOOK_VERIFY_TOKEN as this command \(Strava: PushSubscription callback url GET to callback URL does not return 200\)/)
  t.equal(fake.pushSubscription(), undefined, 'Strava made no subscription')

  const subscribed = await webhook(['subscribe', '--json'])
  t.equal(subscribed.code, 0, subscribed.stderr)
  const { id } = JSON.parse(subscribed.stdout)
  t.same(JSON.parse(subscribed.stdout), { id, callbackUrl })
  t.match(subscribed.stderr, `Set STRAVA_SUBSCRIPTION_ID=${id} on every instance`)
  t.match(fake.pushSubscription(), { id, callback_url: callbackUrl })

  const status = await webhook(['status', '--json'])
  t.equal(status.code, 0, status.stderr)
  t.match(JSON.parse(status.stdout), { subscribed: true, id, callbackUrl, createdAt: String, updatedAt: String, configuredId: null })
  t.match(status.stderr, `STRAVA_SUBSCRIPTION_ID is unset; set it to ${id} on every instance`)

  const deleted = await webhook(['unsubscribe'], { STRAVA_SUBSCRIPTION_ID: String(id) })
  t.equal(deleted.code, 0, deleted.stderr)
  t.match(deleted.stdout, new RegExp(`^deleted +${id}\\ncallbackUrl +${callbackUrl}\\n$`))
  t.match(deleted.stderr, 'Remove STRAVA_SUBSCRIPTION_ID')
  t.equal(fake.pushSubscription(), undefined)

  const after = await webhook(['status', '--json'], { STRAVA_SUBSCRIPTION_ID: String(id) })
  t.same(JSON.parse(after.stdout), { subscribed: false, configuredId: id })
  t.match(after.stderr, /the application has no subscription: `trainload strava webhook subscribe` makes one/)

  const noToken = await webhook(['subscribe'], { STRAVA_WEBHOOK_VERIFY_TOKEN: '' })
  t.equal(noToken.code, 1)
  t.match(noToken.stderr, /STRAVA_WEBHOOK_VERIFY_TOKEN is not set/)

  for (const output of outputs) t.notMatch(output, fake.clientSecret, 'the client secret is never printed')
})
