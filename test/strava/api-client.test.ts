import { once } from 'node:events'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { brotliCompressSync, gzipSync } from 'node:zlib'
import t, { type Test } from 'tap'
import { createStravaApi, StravaUnavailableError } from '../../src/strava/api-client.ts'
import { makeActivities } from '../fake-strava-api.ts'
import { build } from '../helper.ts'

/** A Strava stand-in on 127.0.0.1 that answers every call with `body`, packed as `encoding` says (or sent as it is, labelled so). */
async function startPackingServer (t: Test, body: Buffer, encoding: string, { pack = true } = {}) {
  const seen: IncomingHttpHeaders[] = []
  const packed = !pack ? body : encoding === 'gzip' ? gzipSync(body) : brotliCompressSync(body)
  const server: Server = createServer((request, response) => {
    seen.push(request.headers)
    response.writeHead(200, { 'content-type': 'application/json', 'content-encoding': encoding, 'content-length': packed.length })
    response.end(packed)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => new Promise(resolve => server.close(resolve)))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, packedBytes: packed.length }
}

for (const encoding of ['gzip', 'br'] as const) {
  t.test(`a page Strava sends packed with ${encoding} is asked for packed and read unpacked`, async t => {
    const app = await build(t)
    const page = makeActivities(200, { firstId: 7_000_000_000 })
    const json = Buffer.from(JSON.stringify(page))
    const strava = await startPackingServer(t, json, encoding)
    const api = createStravaApi({ db: app.db, baseUrl: strava.url, reserve: 0.1, now: () => new Date() })
    t.same(await api.listActivities('token', { page: 1, perPage: 200 }), page)
    t.match(strava.seen[0]!['accept-encoding'], new RegExp(encoding))
    t.ok(strava.packedBytes * 4 < json.length, `${json.length} bytes crossed as ${strava.packedBytes}`)
  })
}

t.test('a list that unpacks past 32 MiB is refused as unusable before it is read whole', async t => {
  const app = await build(t)
  // A valid list of 20 million zeros: 40 MB of JSON that packs to a few dozen KB.
  const zeros = Buffer.from(`[${'0,'.repeat(20_000_000)}0]`)
  const strava = await startPackingServer(t, zeros, 'gzip')
  const api = createStravaApi({ db: app.db, baseUrl: strava.url, reserve: 0.1, now: () => new Date() })
  const refused = await api.listActivities('token', { page: 1, perPage: 200 }).then(() => undefined, (err: unknown) => err)
  t.type(refused, StravaUnavailableError)
  t.match(String(refused), /Strava answered the activity list with a body that cannot be read: it is longer than 32 MiB/)
})

t.test('a body labelled with an encoding it does not have, or one not asked for, is a Strava fault that names it', async t => {
  const app = await build(t)
  const list = Buffer.from('[]')
  for (const [encoding, reason] of [['gzip', /Strava answered the activity list with a body that cannot be read: incorrect header check/], ['compress', /cannot be read: it is in a content-encoding not asked for \(compress\)/]] as const) {
    const strava = await startPackingServer(t, list, encoding, { pack: false })
    const api = createStravaApi({ db: app.db, baseUrl: strava.url, reserve: 0.1, now: () => new Date() })
    const refused = await api.listActivities('token', { page: 1, perPage: 200 }).then(() => undefined, (err: unknown) => err)
    t.type(refused, StravaUnavailableError, encoding)
    t.match(String(refused), reason)
  }
})

t.test('a list sent unpacked that runs past 32 MiB is refused as it arrives', async t => {
  const app = await build(t)
  const strava = await startPackingServer(t, Buffer.from(`[${'0,'.repeat(20_000_000)}0]`), 'identity', { pack: false })
  const api = createStravaApi({ db: app.db, baseUrl: strava.url, reserve: 0.1, now: () => new Date() })
  const refused = await api.listActivities('token', { page: 1, perPage: 200 }).then(() => undefined, (err: unknown) => err)
  t.match(String(refused), /cannot be read: it is longer than 32 MiB/)
})
