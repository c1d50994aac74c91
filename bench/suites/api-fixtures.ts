import type { LightMyRequestResponse } from 'fastify'
import { issueApiKey } from '../../src/athletes/api-keys.ts'
import type { App } from '../../src/app.ts'

const DAY_MS = 86_400_000

export const addDays = (day: string, days: number): string =>
  new Date(Date.parse(day) + days * DAY_MS).toISOString().slice(0, 10)

/** Deterministic, so every run reads the same history (mulberry32). */
function seededRandom (seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
}

/** About 0.9 activities a day over `days` days up to `lastDay`: rest days, some doubles, runs and rides. */
export function activityHistory (lastDay: string, days: number) {
  const random = seededRandom(days)
  const activities = []
  for (let offset = days - 1; offset >= 0; offset--) {
    const day = addDays(lastDay, -offset)
    const draw = random()
    const sessions = draw < 0.2 ? 0 : draw > 0.9 ? 2 : 1
    for (let session = 0; session < sessions; session++) {
      const ride = random() < 0.3
      const movingTimeS = Math.round(1800 + random() * 3600)
      activities.push({
        id: 10_000_000_000 + activities.length,
        sportType: ride ? 'Ride' : 'Run',
        startDateLocal: `${day}T${session === 0 ? '07' : '18'}:30:00`,
        movingTimeS,
        distanceM: Math.round(movingTimeS * (ride ? 7.5 : 3.1)),
        elevationGainM: Math.round(random() * 300),
        averageHeartrate: Math.round(120 + random() * 45),
        maxHeartrate: 182
      })
    }
  }
  return activities
}

/** The 404 Fastify gives for a route nobody registered, as opposed to an unknown resource. */
export function isMissingRoute (response: LightMyRequestResponse): boolean {
  if (response.statusCode !== 404) return false
  const message = (response.json() as { message?: unknown }).message
  return typeof message === 'string' && /^Route [A-Z]+:\S+ not found$/.test(message)
}

export type AcwrReader =
  | { ready: true, path: string, headers: Record<string, string>, body: unknown, bytes: number, days: number }
  | { ready: false, missingRoute: string }

/**
 * One athlete with `historyDays` of history ingested through the API contract (the public
 * routes), reading its ACWR with its own API key, as the frontend does.
 */
export async function prepareAcwrReader (app: App, historyDays: number, today: string): Promise<AcwrReader> {
  const admin = { authorization: `Bearer ${app.config.ADMIN_TOKEN!}` }
  const expect = async (method: 'GET' | 'PUT', url: string, headers: Record<string, string>, payload?: object): Promise<{ missing: string } | { response: LightMyRequestResponse }> => {
    const response = await app.inject({ method, url, headers, payload })
    if (isMissingRoute(response)) return { missing: `${method} ${url.replace(/\/\d+\//, '/:athleteId/').split('?')[0]}` }
    if (response.statusCode !== 200) throw new Error(`${method} ${url} answered ${response.statusCode}: ${response.body.slice(0, 300)}`)
    return { response }
  }

  const athletes = await expect('PUT', '/admin/athletes', admin, { athletes: [{ stravaAthleteId: 900_000_001, name: 'Bench athlete' }] })
  if ('missing' in athletes) return { ready: false, missingRoute: athletes.missing }
  const athleteId = (athletes.response.json() as { athletes: { id: number }[] }).athletes[0]!.id

  const activities = activityHistory(today, historyDays)
  const ingest = await expect('PUT', `/api/athletes/${athleteId}/activities`, admin, { activities })
  if ('missing' in ingest) return { ready: false, missingRoute: ingest.missing }

  const { apiKey } = await issueApiKey(app.db, athleteId)
  const headers = { authorization: `Bearer ${apiKey}` }
  const path = `/api/athletes/${athleteId}/acwr?from=${addDays(today, -89)}&to=${today}`
  const read = await expect('GET', path, headers)
  if ('missing' in read) return { ready: false, missingRoute: read.missing }
  const body = read.response.json() as { days?: unknown[] }
  return { ready: true, path, headers, body, bytes: read.response.rawPayload.length, days: body.days?.length ?? 0 }
}

/** A 90-day body in the ACWR series' shape (docs/api.md), for the bare route when the real one is not there yet. */
export function syntheticAcwrBody (today: string) {
  const side = (load: number) => ({ load, acute: 41.23, chronic: 38.91, ratio: 1.06 })
  return {
    athleteId: 1,
    model: 'rolling',
    acuteDays: 7,
    chronicDays: 28,
    decayRate: 0.05,
    days: Array.from({ length: 90 }, (_, i) => ({
      date: addDays(today, i - 89),
      complete: true,
      external: side(i % 5 === 0 ? 0 : 6.42),
      internal: side(i % 5 === 0 ? 0 : 71.8),
      divergence: 0.0123
    }))
  }
}
