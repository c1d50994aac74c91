import t from 'tap'
import { createSubscriptionClient, SubscriptionError } from '../../src/strava/webhook-subscription.ts'
import { build } from '../helper.ts'
import { startFake } from '../tokens/fixtures.ts'

const VERIFY_TOKEN = 'verify-token-of-the-service'

t.test('the push subscription client creates, lists and deletes the one subscription, Strava checking the callback first', async t => {
  const fake = await startFake(t)
  const app = await build(t, { env: { STRAVA_WEBHOOK_VERIFY_TOKEN: VERIFY_TOKEN } })
  const callbackUrl = `${await app.listen({ host: '127.0.0.1', port: 0 })}/webhooks/strava`
  const client = createSubscriptionClient({ baseUrl: fake.url, clientId: fake.clientId, clientSecret: fake.clientSecret })
  const refusal = async (call: Promise<unknown>) => {
    const err = await call.then(() => undefined, (err: unknown) => err)
    t.type(err, SubscriptionError)
    t.notMatch((err as Error).message, fake.clientSecret, 'no message carries the client secret')
    return (err as SubscriptionError).message
  }

  t.same(await client.list(), [])
  t.match(await refusal(client.create(callbackUrl, 'another-token')), /could not verify the callback .*GET to callback URL does not return 200/,
    'the app answers 403 to another verify token')
  t.match(await refusal(client.create('http://127.0.0.1:9/webhooks/strava', VERIFY_TOKEN)), /could not verify the callback http:\/\/127\.0\.0\.1:9\/webhooks\/strava/,
    'nobody answers there')
  t.match(await refusal(client.create(`${new URL(callbackUrl).origin}/health`, VERIFY_TOKEN)), /could not verify the callback .*not verifiable/,
    'a 200 without the echo is refused too')
  t.equal(fake.pushSubscription(), undefined)

  const id = await client.create(callbackUrl, VERIFY_TOKEN)
  t.match(await client.list(), [{ id, callbackUrl, createdAt: String, updatedAt: String }])
  t.match(await refusal(client.create(callbackUrl, VERIFY_TOKEN)), /already has a webhook subscription \(one is allowed per application\)/)

  const wrongSecret = createSubscriptionClient({ baseUrl: fake.url, clientId: fake.clientId, clientSecret: 'not-the-secret' })
  t.match(await refusal(wrongSecret.list()), /refused the application's credentials to list the webhook subscriptions: check STRAVA_CLIENT_ID and STRAVA_CLIENT_SECRET/)
  t.match(await refusal(wrongSecret.remove(id)), /refused the application's credentials/)

  t.match(await refusal(client.remove(id + 1)), `Strava has no webhook subscription ${id + 1}`)
  await client.remove(id)
  t.same(await client.list(), [])
  t.equal(fake.pushSubscription(), undefined)
})

t.test('the client needs the application\'s credentials, and names an unreachable Strava without its query string', async t => {
  t.throws(() => createSubscriptionClient({ baseUrl: 'http://127.0.0.1:9', clientId: '', clientSecret: 'x' }), /STRAVA_CLIENT_ID and STRAVA_CLIENT_SECRET must be set/)
  const client = createSubscriptionClient({ baseUrl: 'http://127.0.0.1:9', clientId: '1', clientSecret: 'secret-of-the-app', timeoutMs: 2000 })
  const err = await client.list().catch((err: unknown) => err as Error)
  t.match(err, { message: 'Strava did not answer the call to list the webhook subscriptions at http://127.0.0.1:9: network error' })
})
