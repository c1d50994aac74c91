import { request as httpRequest } from 'node:http'
import type { RouteOptions } from 'fastify'
import t from 'tap'
import type { TSchema } from 'typebox'
import {
  ActivityInput, LARGEST_ACTIVITY_BYTES, MAX_ACTIVITIES_PER_BATCH, UPSERT_ACTIVITIES_BODY_LIMIT
} from '../../src/activities/schemas.ts'
import {
  AthleteInput, LARGEST_ATHLETE_BYTES, LARGEST_SETTINGS_PATCH_BYTES, SETTINGS_PATCH_BODY_LIMIT, SettingsPatch
} from '../../src/athletes/schemas.ts'
import { LARGEST_TOKEN_BYTES, TokenInput } from '../../src/tokens/schemas.ts'
import { validatorCompiler } from '../../src/validation.ts'
import { build } from '../helper.ts'
import { adminHeaders, createAthlete } from '../fixtures.ts'

const longestNumber = 0.0000012345678901234567
const longestHeartRate = 123.45678901234567

const largest = {
  activity: {
    id: Number.MAX_SAFE_INTEGER,
    sportType: 's'.repeat(64),
    startDateLocal: '2026-03-01T07:30:00.123456Z',
    movingTimeS: 1_209_600,
    distanceM: longestNumber,
    elevationGainM: longestNumber,
    averageHeartrate: longestHeartRate,
    maxHeartrate: longestHeartRate,
    perceivedEffort: 10,
    name: 'n'.repeat(500)
  },
  athlete: { stravaAthleteId: Number.MAX_SAFE_INTEGER, name: 'n'.repeat(200), sex: 'M', restingHr: 120, maxHr: 250, timezone: 't'.repeat(64) },
  settings: {
    acwrModel: 'rolling-uncoupled', acuteDays: 14, chronicDays: 90, decayRate: 0.012345678901234567, ctlDays: 120, atlDays: 28, restingHr: 120, maxHr: 250, sex: null, timezone: 't'.repeat(64)
  },
  token: { athleteId: Number.MAX_SAFE_INTEGER, accessToken: 'a'.repeat(2048), refreshToken: 'r'.repeat(2048), expiresAt: 253402300799, scope: 's'.repeat(200) }
}

const isValid = (schema: TSchema, value: unknown) => validatorCompiler({ schema, httpPart: 'body', method: 'PUT', url: '/' })(structuredClone(value)) === true

t.test('each body limit is computed from the largest valid item its schema allows', async t => {
  const cases: Array<[string, TSchema, unknown, number]> = [
    ['activity', ActivityInput, largest.activity, LARGEST_ACTIVITY_BYTES],
    ['athlete', AthleteInput, largest.athlete, LARGEST_ATHLETE_BYTES],
    ['settings change', SettingsPatch, largest.settings, LARGEST_SETTINGS_PATCH_BYTES],
    ['token', TokenInput, largest.token, LARGEST_TOKEN_BYTES]
  ]
  for (const [name, schema, value, declared] of cases) {
    t.ok(isValid(schema, value), `the largest ${name} is valid`)
    t.equal(JSON.stringify(value).length, declared, `the largest ${name} is ${declared} bytes of compact JSON`)
  }
  const fullBatch = JSON.stringify({ activities: Array(MAX_ACTIVITIES_PER_BATCH).fill(largest.activity) })
  t.ok(fullBatch.length <= UPSERT_ACTIVITIES_BODY_LIMIT, `10,000 of the largest activities (${fullBatch.length} bytes) fit the ${UPSERT_ACTIVITIES_BODY_LIMIT}-byte limit`)
  t.ok(UPSERT_ACTIVITIES_BODY_LIMIT < 9_000_000, 'and the limit stays near that real maximum')
})

/** Counts the requests that reached validation and the handler of PUT .../activities. */
function activityUploadProbe () {
  const reached = { validation: 0, handler: 0 }
  const onRoute = (route: RouteOptions) => {
    if (route.method !== 'PUT' || route.url !== '/api/athletes/:athleteId/activities') return
    const handler = route.handler
    route.preValidation = [async () => { reached.validation++ }, ...[route.preValidation ?? []].flat()]
    route.handler = function (this: unknown, ...args: Parameters<typeof handler>) {
      reached.handler++
      return handler.apply(this as never, args)
    }
  }
  return { reached, onRoute }
}

/** 16 MiB of `{"activities":[{},{},...]}`: about 5.6 million objects, if anything parsed it. */
function emptyObjectFlood (): Buffer {
  const head = '{"activities":['
  const tail = '{}]}'
  const count = Math.floor((16 * 1024 * 1024 - head.length - tail.length) / 3)
  return Buffer.from(head + '{},'.repeat(count) + tail)
}

t.test('a 16 MiB body of empty objects is a 413 naming the limit, refused from Content-Length before parsing or validation', async t => {
  const probe = activityUploadProbe()
  const app = await build(t, { onRoute: probe.onRoute })
  const athlete = await createAthlete(app)
  const flood = emptyObjectFlood()
  const res = await app.inject({
    method: 'PUT',
    url: `/api/athletes/${athlete.id}/activities`,
    headers: { ...adminHeaders, 'content-type': 'application/json' },
    payload: flood
  })
  t.equal(res.statusCode, 413)
  t.same(res.json(), {
    statusCode: 413,
    error: 'Payload Too Large',
    message: `the request body is too large: this route accepts at most ${UPSERT_ACTIVITIES_BODY_LIMIT} bytes`
  })
  t.same(probe.reached, { validation: 0, handler: 0 }, 'neither validation nor the handler ran')
})

/** PUTs `body` over a real connection in chunks, with no Content-Length, until the server answers. */
function putChunked (url: string, headers: Record<string, string>, body: Buffer): Promise<{ status: number, json: any }> {
  return new Promise((resolve, reject) => {
    let answered = false
    let at = 0
    const request = httpRequest(url, { method: 'PUT', headers: { ...headers, 'content-type': 'application/json', 'transfer-encoding': 'chunked' } })
    request.on('error', err => { if (!answered) reject(err) })
    request.on('response', response => {
      answered = true
      const parts: Buffer[] = []
      response.on('data', (part: Buffer) => parts.push(part))
      response.on('end', () => {
        request.destroy()
        resolve({ status: response.statusCode!, json: JSON.parse(Buffer.concat(parts).toString()) })
      })
    })
    const pump = () => {
      let writable = true
      while (writable && at < body.length) {
        if (answered) return
        const chunk = body.subarray(at, at + 64 * 1024)
        at += chunk.length
        writable = request.write(chunk)
      }
      if (!writable) request.once('drain', pump)
      else if (!answered) request.end()
    }
    pump()
  })
}

t.test('a chunked body without Content-Length is a 413 once it passes the limit, before parsing or validation', async t => {
  const probe = activityUploadProbe()
  const app = await build(t, { onRoute: probe.onRoute })
  const athlete = await createAthlete(app)
  const address = await app.listen({ host: '127.0.0.1', port: 0 })
  const res = await putChunked(`${address}/api/athletes/${athlete.id}/activities`, adminHeaders, emptyObjectFlood())
  t.equal(res.status, 413)
  t.equal(res.json.message, `the request body is too large: this route accepts at most ${UPSERT_ACTIVITIES_BODY_LIMIT} bytes`)
  t.same(probe.reached, { validation: 0, handler: 0 }, 'neither validation nor the handler ran')
})

t.test('the largest valid batch of activities passes the limit and is validated', async t => {
  const probe = activityUploadProbe()
  const app = await build(t, { onRoute: probe.onRoute })
  const unknownAthlete = 987_654_321
  const activities = Array.from({ length: MAX_ACTIVITIES_PER_BATCH }, (_, index) => ({ ...largest.activity, id: index + 1 }))
  const res = await app.inject({ method: 'PUT', url: `/api/athletes/${unknownAthlete}/activities`, headers: adminHeaders, payload: { activities } })
  t.equal(res.statusCode, 404, res.body.slice(0, 200))
  t.same(probe.reached, { validation: 1, handler: 1 })
})

t.test('settings take a body of a few hundred bytes; a 2 KB one is a 413', async t => {
  const app = await build(t)
  const athlete = await createAthlete(app)
  const url = `/api/athletes/${athlete.id}/settings`
  const padded = `{"acuteDays":7${' '.repeat(2048)}}`
  const tooLarge = await app.inject({ method: 'PATCH', url, headers: { ...adminHeaders, 'content-type': 'application/json' }, payload: padded })
  t.equal(tooLarge.statusCode, 413)
  t.match(tooLarge.json().message, `at most ${SETTINGS_PATCH_BODY_LIMIT} bytes`)
  const fits = await app.inject({ method: 'PATCH', url, headers: adminHeaders, payload: { ...largest.settings, timezone: 'Europe/Paris', sex: 'F' } })
  t.equal(fits.statusCode, 200, fits.body)
})

t.test('a route without a limit of its own takes BODY_LIMIT_BYTES', async t => {
  const app = await build(t, { env: { BODY_LIMIT_BYTES: '4096' } })
  const payload = `{"invalidForDays":30${' '.repeat(4096)}}`
  const res = await app.inject({ method: 'POST', url: '/admin/strava-tokens/cleanup', headers: { ...adminHeaders, 'content-type': 'application/json' }, payload })
  t.equal(res.statusCode, 413)
  t.match(res.json().message, 'at most 4096 bytes')
  const small = await app.inject({ method: 'POST', url: '/admin/strava-tokens/cleanup', headers: adminHeaders, payload: { invalidForDays: 30 } })
  t.equal(small.statusCode, 200)
})
