import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

/** An activity as the fake's API returns it: Strava's summary fields, plus the detail-only RPE. */
export interface FakeActivity {
  id: number
  name: string
  sport_type: string
  start_date: string
  start_date_local: string
  timezone: string
  distance: number
  moving_time: number
  elapsed_time: number
  total_elevation_gain: number
  has_heartrate: boolean
  average_heartrate?: number
  max_heartrate?: number
  perceived_exertion?: number | null
  manual: boolean
  trainer: boolean
}

type Window = [fifteenMinutes: number, daily: number]

/**
 * Strava's rate limits per application, as headers on every API answer, and a 429 beyond
 * them that still counts against the day. The 15-minute window rolls only when told.
 */
export class FakeRateLimits {
  limits: { read: Window, overall: Window } = { read: [100, 1000], overall: [200, 2000] }
  usage: { read: Window, overall: Window } = { read: [0, 0], overall: [0, 0] }
  served429 = 0
  served = 0

  /** Counts one read; false when a limit is reached (the request is refused, and counts against the day). */
  take (): boolean {
    const { read, overall } = this.usage
    const over = read[0] >= this.limits.read[0] || read[1] >= this.limits.read[1] ||
      overall[0] >= this.limits.overall[0] || overall[1] >= this.limits.overall[1]
    read[1]++
    overall[1]++
    if (over) {
      this.served429++
      return false
    }
    read[0]++
    overall[0]++
    this.served++
    return true
  }

  headers (reply: FastifyReply): FastifyReply {
    return reply
      .header('X-RateLimit-Limit', this.limits.overall.join(','))
      .header('X-RateLimit-Usage', this.usage.overall.join(','))
      .header('X-ReadRateLimit-Limit', this.limits.read.join(','))
      .header('X-ReadRateLimit-Usage', this.usage.read.join(','))
  }

  /** A new quarter hour: the 15-minute usage starts again. */
  rollWindow (): void {
    this.usage.read[0] = 0
    this.usage.overall[0] = 0
  }
}

const epoch = (iso: string) => Date.parse(iso) / 1000
const newestFirst = (a: FakeActivity, b: FakeActivity) => epoch(b.start_date) - epoch(a.start_date) || b.id - a.id

export interface ApiAuth {
  /** The athlete a bearer token belongs to, or undefined when it is unknown, expired or revoked. */
  athleteOf: (accessToken: string) => number | undefined
  /** Delay before an API call is handled, read on every call so it can change between phases. */
  latencyMs?: () => number
}

/** Every athlete's activities on the fake, and the API routes that serve them. */
export class FakeActivityStore {
  readonly byAthlete = new Map<number, FakeActivity[]>()
  /** Activities that take a place in the list's pages but are not shown, as Strava filters some: pages come out short. */
  readonly hidden = new Set<number>()
  readonly listCalls: Array<{ athleteId: number, query: Record<string, string> }> = []
  /** Awaited before a list page is answered, so a test can act while that request is in flight. */
  beforeList?: (call: { athleteId: number, query: Record<string, string> }) => Promise<void> | void

  add (athleteId: number, activities: FakeActivity[]): void {
    this.byAthlete.set(athleteId, [...(this.byAthlete.get(athleteId) ?? []), ...activities].sort(newestFirst))
  }

  update (athleteId: number, id: number, changes: Partial<FakeActivity>): FakeActivity {
    const activity = this.byAthlete.get(athleteId)?.find(a => a.id === id)
    if (!activity) throw new Error(`fake Strava: athlete ${athleteId} has no activity ${id}`)
    Object.assign(activity, changes)
    this.byAthlete.get(athleteId)!.sort(newestFirst)
    return activity
  }

  remove (athleteId: number, id: number): void {
    this.byAthlete.set(athleteId, (this.byAthlete.get(athleteId) ?? []).filter(a => a.id !== id))
  }

  list (athleteId: number, query: Record<string, string>): FakeActivity[] {
    const before = query.before === undefined ? Infinity : Number(query.before)
    const after = query.after === undefined ? -Infinity : Number(query.after)
    const perPage = Math.min(Number(query.per_page ?? 30), 200)
    const page = Math.max(Number(query.page ?? 1), 1)
    const matching = (this.byAthlete.get(athleteId) ?? []).filter(a => epoch(a.start_date) < before && epoch(a.start_date) > after)
    return matching.slice((page - 1) * perPage, page * perPage).filter(a => !this.hidden.has(a.id))
  }
}

function bearerOf (request: FastifyRequest): string {
  return /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? ''
}

const unauthorized = (reply: FastifyReply) =>
  reply.code(401).send({ message: 'Authorization Error', errors: [{ resource: 'Athlete', field: 'access_token', code: 'invalid' }] })

/** GET /api/v3/athlete/activities and GET /api/v3/activities/:id, rate limited. */
export function registerApiRoutes (app: FastifyInstance, store: FakeActivityStore, limits: FakeRateLimits, auth: ApiAuth): void {
  const gate = async (request: FastifyRequest, reply: FastifyReply): Promise<number | undefined> => {
    const latencyMs = auth.latencyMs?.() ?? 0
    if (latencyMs > 0) await sleep(latencyMs)
    if (!limits.take()) {
      limits.headers(reply).code(429).send({ message: 'Rate Limit Exceeded', errors: [{ resource: 'Application', field: 'rate limit', code: 'exceeded' }] })
      return undefined
    }
    limits.headers(reply)
    const athleteId = auth.athleteOf(bearerOf(request))
    if (athleteId === undefined) unauthorized(reply)
    return athleteId
  }

  app.get('/api/v3/athlete/activities', async (request, reply) => {
    const athleteId = await gate(request, reply)
    if (athleteId === undefined) return reply
    const query = request.query as Record<string, string>
    store.listCalls.push({ athleteId, query })
    await store.beforeList?.({ athleteId, query })
    return store.list(athleteId, query)
  })

  app.get('/api/v3/activities/:id', async (request, reply) => {
    const athleteId = await gate(request, reply)
    if (athleteId === undefined) return reply
    const id = Number((request.params as { id: string }).id)
    const activity = store.byAthlete.get(athleteId)?.find(a => a.id === id && !store.hidden.has(a.id))
    if (!activity) return reply.code(404).send({ message: 'Record Not Found', errors: [{ resource: 'Activity', field: 'id', code: 'not found' }] })
    return activity
  })
}

const pad = (n: number) => String(n).padStart(2, '0')

/**
 * `count` activities of one athlete in Madrid, one every `everyDays` days back from `newest`,
 * ids from `firstId` up. Start times are spread over the day so some cross midnight UTC.
 */
export function makeActivities (count: number, { firstId, newest = new Date(), everyDays = 1 }: { firstId: number, newest?: Date, everyDays?: number }): FakeActivity[] {
  return Array.from({ length: count }, (_, i) => {
    const start = new Date(newest.getTime() - i * everyDays * 86_400_000)
    start.setUTCHours((i * 5) % 24, (i * 7) % 60, 0, 0)
    // Madrid is UTC+1 or +2; +1 is enough for a wall time that is plausibly local.
    const local = new Date(start.getTime() + 3600_000)
    const localText = `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:00Z`
    return {
      id: firstId + i,
      name: `Run ${firstId + i}`,
      sport_type: i % 3 === 0 ? 'Ride' : 'Run',
      start_date: start.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      start_date_local: localText,
      timezone: '(GMT+01:00) Europe/Madrid',
      distance: 5000 + (i % 10) * 1000,
      moving_time: 1800 + (i % 7) * 300,
      elapsed_time: 2000 + (i % 7) * 300,
      total_elevation_gain: 20 + (i % 5) * 10,
      has_heartrate: i % 4 !== 0,
      ...(i % 4 !== 0 ? { average_heartrate: 140 + (i % 20), max_heartrate: 175 } : {}),
      perceived_exertion: null,
      manual: false,
      trainer: false
    }
  })
}
