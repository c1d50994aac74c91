import type { Test } from 'tap'
import type { Database } from '../../src/db/database.ts'
import type { TokenCipher } from '../../src/tokens/crypto.ts'
import { saveTokens } from '../../src/tokens/store.ts'
import { startFakeStrava, type FakeStrava, type FakeStravaOptions } from '../fake-strava.ts'

export async function startFake (t: Test, options?: FakeStravaOptions): Promise<FakeStrava> {
  const fake = await startFakeStrava(options)
  t.teardown(() => fake.close())
  return fake
}

export const stravaEnv = (fake: FakeStrava) => ({
  STRAVA_BASE_URL: fake.url,
  STRAVA_CLIENT_ID: fake.clientId,
  STRAVA_CLIENT_SECRET: fake.clientSecret
})

export interface SeededAthlete {
  athleteId: number
  stravaId: number
}

let nextStravaId = 1000

/**
 * Athletes who logged in with the fake Strava, with tokens saved whose access token expires in
 * `minutesLeft` (10 by default, so they are due for refresh).
 */
export async function seedAthletes (db: Database, cipher: TokenCipher, fake: FakeStrava, count: number, { minutesLeft = 10 } = {}): Promise<SeededAthlete[]> {
  const rows = await db.insertInto('athletes')
    .values(Array.from({ length: count }, () => ({ strava_athlete_id: nextStravaId++ })))
    .returning(['id', 'strava_athlete_id'])
    .execute()
  const athletes = rows.map(r => ({ athleteId: r.id, stravaId: r.strava_athlete_id! }))
  const expiresAt = Math.floor(Date.now() / 1000) + minutesLeft * 60
  await saveTokens(db, cipher, athletes.map(a => {
    const tokens = fake.addAthlete(a.stravaId)
    return { athleteId: a.athleteId, accessToken: tokens.access_token, refreshToken: tokens.refresh_token, expiresAt, scope: 'read,activity:read_all' }
  }))
  return athletes
}

export const adminHeaders = (token: string) => ({ authorization: `Bearer ${token}` })
