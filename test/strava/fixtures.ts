import { setTimeout as sleep } from 'node:timers/promises'
import type { Test } from 'tap'
import type { App } from '../../src/app.ts'
import { createStravaApi } from '../../src/strava/api-client.ts'
import type { SyncDependencies } from '../../src/strava/sync.ts'
import { saveTokens } from '../../src/tokens/store.ts'
import { adminHeaders } from '../fixtures.ts'
import { makeActivities, type FakeActivity } from '../fake-strava-api.ts'
import type { FakeStrava } from '../fake-strava.ts'
import { build } from '../helper.ts'
import { startFake, stravaEnv } from '../tokens/fixtures.ts'

export interface SyncWorld { app: App, fake: FakeStrava }

/** An app talking to a fresh fake Strava; the job worker runs only when `worker` is set. */
export async function startSyncWorld (t: Test, { worker = false, env = {} }: { worker?: boolean, env?: Record<string, string> } = {}): Promise<SyncWorld> {
  const fake = await startFake(t)
  const app = await build(t, { env: { ...stravaEnv(fake), STRAVA_SYNC_WORKER: String(worker), ...env } })
  return { app, fake }
}

let nextStravaId = 50_000
let nextActivityId = 10_000_000_000

/**
 * An athlete connected to the fake Strava with `activityCount` daily activities (ids beyond
 * 2^32, as Strava's are), tokens saved with `minutesLeft` of access left.
 */
export async function connectedAthlete ({ app, fake }: SyncWorld, activityCount: number, { minutesLeft = 360 } = {}): Promise<{ athleteId: number, stravaId: number, activities: FakeActivity[] }> {
  const stravaId = nextStravaId++
  const { id: athleteId } = await app.db.insertInto('athletes').values({ strava_athlete_id: stravaId }).returning('id').executeTakeFirstOrThrow()
  const activities = makeActivities(activityCount, { firstId: nextActivityId })
  nextActivityId += activityCount + 1000
  fake.activities.add(stravaId, activities)
  const tokens = fake.addAthlete(stravaId)
  await saveTokens(app.db, app.tokenCipher, [{
    athleteId, accessToken: tokens.access_token, refreshToken: tokens.refresh_token, expiresAt: Math.floor(Date.now() / 1000) + minutesLeft * 60
  }])
  return { athleteId, stravaId, activities }
}

/** The app's sync dependencies with a clock of the test's and smaller pages. */
export function syncDeps (app: App, overrides: Partial<SyncDependencies> & { reserve?: number } = {}): SyncDependencies {
  const now = overrides.now ?? (() => new Date())
  const api = createStravaApi({ db: app.db, baseUrl: app.config.STRAVA_BASE_URL, reserve: overrides.reserve ?? app.config.STRAVA_RATE_RESERVE, now })
  return { ...app.stravaSync, api, now, ...overrides }
}

export async function storedStravaIds (app: App, athleteId: number): Promise<number[]> {
  const rows = await app.db.selectFrom('activities').select('id').where('athlete_id', '=', athleteId).where('source', '=', 'strava').orderBy('id').execute()
  return rows.map(row => row.id)
}

export const visibleIds = (fake: FakeStrava, activities: FakeActivity[]) =>
  activities.filter(a => !fake.activities.hidden.has(a.id)).map(a => a.id).sort((a, b) => a - b)

export async function syncStatus (app: App, athleteId: number) {
  const res = await app.inject({ url: `/api/athletes/${athleteId}/strava/sync`, headers: adminHeaders })
  return res.json()
}

/** Polls the sync state until `done` holds, for at most `timeoutMs`; fails the test otherwise. */
export async function waitForSync (t: Test, app: App, athleteId: number, done: (status: Record<string, unknown>) => boolean, timeoutMs = 60_000) {
  const until = Date.now() + timeoutMs
  for (;;) {
    const status = await syncStatus(app, athleteId)
    if (done(status)) return status
    if (Date.now() > until) {
      t.fail(`sync of athlete ${athleteId} did not finish: ${JSON.stringify(status)}`)
      return status
    }
    await sleep(100)
  }
}
