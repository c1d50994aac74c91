import { createServer } from 'node:net'
import type { App } from '../src/app.ts'
import { TEST_ADMIN_TOKEN } from './helper.ts'

/** Fixtures for tests that drive the athlete, activity and ACWR routes. */

export const adminHeaders = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` }
export const bearer = (credential: string) => ({ authorization: `Bearer ${credential}` })

/** A day relative to today in UTC, the default athlete timezone. */
export function daysAgo (days: number): string {
  const now = new Date()
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - days)).toISOString().slice(0, 10)
}

let nextStravaId = 1000

export async function createAthlete (app: App, fields: Record<string, unknown> = {}): Promise<{ id: number, apiKey: string }> {
  const res = await app.inject({
    method: 'PUT',
    url: '/admin/athletes',
    headers: adminHeaders,
    payload: { athletes: [{ stravaAthleteId: nextStravaId++, ...fields }] }
  })
  if (res.statusCode !== 200) throw new Error(`creating an athlete failed: ${res.body}`)
  const id = res.json().athletes[0].id as number
  const key = await app.inject({ method: 'POST', url: `/admin/athletes/${id}/api-keys`, headers: adminHeaders })
  return { id, apiKey: key.json().apiKey }
}

/**
 * A run whose external load is exactly `load` (miles, no climbing), with heart rate when given.
 * A run of load 0 has no moving time either: a run without distance but with moving time is
 * scored by its time.
 */
export function run (id: number, day: string, load: number, extra: Record<string, unknown> = {}) {
  return { id, sportType: 'Run', startDateLocal: `${day}T08:00:00`, movingTimeS: load === 0 ? 0 : 3600, distanceM: load / 0.000621371, ...extra }
}

export async function ingest (app: App, athleteId: number, activities: unknown[]) {
  return app.inject({ method: 'PUT', url: `/api/athletes/${athleteId}/activities`, headers: adminHeaders, payload: { activities } })
}

export async function setSettings (app: App, athleteId: number, settings: Record<string, unknown>) {
  const res = await app.inject({ method: 'PATCH', url: `/api/athletes/${athleteId}/settings`, headers: adminHeaders, payload: settings })
  if (res.statusCode !== 200) throw new Error(`changing settings failed: ${res.body}`)
  return res.json()
}

export interface AcwrDayView {
  date: string
  complete: boolean
  external: { load: number, acute: number, chronic: number, ratio: number | null }
  internal: { load: number | null, acute: number | null, chronic: number | null, ratio: number | null, coverage: number }
  divergence: number | null
}

export async function readAcwr (app: App, athleteId: number, query = ''): Promise<AcwrDayView[]> {
  const res = await app.inject({ url: `/api/athletes/${athleteId}/acwr${query}`, headers: adminHeaders })
  if (res.statusCode !== 200) throw new Error(`reading ACWR failed: ${res.body}`)
  return res.json().days
}

/**
 * A port free on 127.0.0.1 right now: for an app whose PUBLIC_URL (Strava's redirect back)
 * must name its own address before it listens, or a server told which port to take.
 */
export function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}
