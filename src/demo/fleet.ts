/**
 * The demo fleet: 25 athletes with 18 months of activities ending on a given day, generated
 * from a fixed seed so every install shows the same curves. Pure: no I/O, no clock.
 * Activities are in the API's item shape (PUT /api/athletes/:id/activities).
 */

import type { NewActivity } from '../activities/schemas.ts'
import type { AthleteUpsert } from '../athletes/schemas.ts'

export const DEMO_SEED = 0x7a11_0ad
export const DEMO_ATHLETE_COUNT = 25
/** Eighteen months of history, through the given day. */
export const DEMO_DAYS = 548
/** Demo activity ids sit far above real Strava ids of today, and beyond 2^31 like theirs. */
const ACTIVITY_ID_BASE = 90_000_000_000
const STRAVA_ATHLETE_ID_BASE = 990_000_000

/** A demo athlete: every field the athletes batch accepts, plus their activities in the API item shape. */
export type DemoAthlete = Required<AthleteUpsert> & { activities: NewActivity[] }

type Random = () => number

/** mulberry32: small, fast, and the same sequence on every platform. */
function seededRandom (seed: number): Random {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let x = Math.imul(state ^ (state >>> 15), 1 | state)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

const between = (random: Random, min: number, max: number) => min + random() * (max - min)
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!
const round1 = (x: number) => Math.round(x * 10) / 10

function addDays (day: string, days: number): string {
  const date = new Date(`${day}T00:00:00Z`)
  date.setUTCDate(date.getUTCDate() + days)
  return date.toISOString().slice(0, 10)
}

type Effort = 'easy' | 'hard' | 'long'
interface Session { sport: string, effort: Effort }

/** Weekly templates, Sunday first; null is a rest day. */
const archetypes: Record<string, Array<Session | null>> = {
  runner: [
    { sport: 'Run', effort: 'long' }, null, { sport: 'Run', effort: 'hard' }, { sport: 'Run', effort: 'easy' },
    { sport: 'WeightTraining', effort: 'easy' }, { sport: 'Run', effort: 'easy' }, { sport: 'TrailRun', effort: 'hard' }
  ],
  cyclist: [
    { sport: 'Ride', effort: 'long' }, null, { sport: 'VirtualRide', effort: 'hard' }, { sport: 'Ride', effort: 'easy' },
    { sport: 'VirtualRide', effort: 'hard' }, null, { sport: 'GravelRide', effort: 'long' }
  ],
  triathlete: [
    { sport: 'Run', effort: 'long' }, { sport: 'Swim', effort: 'easy' }, { sport: 'Ride', effort: 'hard' }, { sport: 'Swim', effort: 'hard' },
    { sport: 'Run', effort: 'hard' }, null, { sport: 'Ride', effort: 'long' }
  ],
  mountain: [
    { sport: 'Hike', effort: 'long' }, null, { sport: 'TrailRun', effort: 'hard' }, { sport: 'WeightTraining', effort: 'hard' },
    { sport: 'Run', effort: 'easy' }, null, { sport: 'TrailRun', effort: 'long' }
  ],
  swimmer: [
    null, { sport: 'Swim', effort: 'hard' }, { sport: 'WeightTraining', effort: 'hard' }, { sport: 'Swim', effort: 'easy' },
    { sport: 'Swim', effort: 'hard' }, { sport: 'Run', effort: 'easy' }, { sport: 'Swim', effort: 'long' }
  ]
}

const names = [
  'Ada Okafor', 'Bruno Lindqvist', 'Chiara Bianchi', 'Dev Raman', 'Elif Demir', 'Finn Maguire', 'Greta Novak',
  'Hiro Tanaka', 'Ines Moreau', 'Jonas Weber', 'Kavya Iyer', 'Liam Walsh', 'Maya Cohen', 'Nils Berg', 'Olga Petrova',
  'Pablo Ortega', 'Quinn Harper', 'Rosa Almeida', 'Sami Haddad', 'Tess Murphy', 'Uma Singh', 'Victor Dubois',
  'Wen Li', 'Ximena Ruiz', 'Yusuf Kaya'
]
const womenNames = new Set(['Ada', 'Chiara', 'Elif', 'Greta', 'Ines', 'Kavya', 'Maya', 'Olga', 'Rosa', 'Tess', 'Uma', 'Wen', 'Ximena'])
export const DEMO_TIMEZONES = ['Europe/London', 'Europe/Berlin', 'America/New_York', 'America/Denver', 'Asia/Tokyo', 'Australia/Sydney', 'UTC']

/** Metres per second and climb per kilometre, before the athlete's own speed factor. */
const sportMotion: Record<string, { speed: number, climbPerKm: number }> = {
  Run: { speed: 3.1, climbPerKm: 8 },
  TrailRun: { speed: 2.5, climbPerKm: 45 },
  Hike: { speed: 1.3, climbPerKm: 90 },
  Ride: { speed: 7.8, climbPerKm: 9 },
  GravelRide: { speed: 6.6, climbPerKm: 12 },
  VirtualRide: { speed: 8.6, climbPerKm: 6 },
  Swim: { speed: 1.05, climbPerKm: 0 }
}

/** Base minutes for each effort; rides run longer and swims shorter than runs of the same effort. */
const baseMinutes: Record<Effort, number> = { easy: 45, hard: 55, long: 95 }
const sportDuration: Record<string, number> = { Ride: 1.6, GravelRide: 1.7, VirtualRide: 1.1, Swim: 0.9, Hike: 1.5, WeightTraining: 0.9 }
/** Fraction of heart-rate reserve each effort sits at. */
const effortIntensity: Record<Effort, [number, number]> = { easy: [0.55, 0.66], long: [0.62, 0.72], hard: [0.76, 0.88] }

/**
 * The training story of one athlete, as a load multiplier per week counted back from the last
 * day: a base ramp at the start, 3:1 cycles, two full rest weeks, a ten-week build-up with a
 * taper, and one overreaching week. Spikes and stops are spread so that today's zones vary.
 */
function weeklyPlan (index: number, random: Random, weeks: number): (weeksAgo: number) => { load: number, spike: boolean } {
  const spikeWeek = index % 5 === 0 ? 0 : Math.floor(between(random, 2, weeks - 16))
  const buildPeak = Math.floor(between(random, 4, weeks - 24))
  const planned = (w: number) => w === spikeWeek || (w >= buildPeak - 1 && w < buildPeak + 10)
  const free = Array.from({ length: weeks - 18 }, (_, i) => i + 4).filter(w => !planned(w))
  const restWeeks = new Set([pick(random, free.filter(w => w < weeks / 2)), pick(random, free.filter(w => w >= weeks / 2))])
  const stoppedWeeks = index % 8 === 3 ? 2 : 0
  const cycleOffset = Math.floor(random() * 4)
  return weeksAgo => {
    if (weeksAgo < stoppedWeeks) return { load: 0, spike: false }
    if (weeksAgo === spikeWeek) return { load: 1.5, spike: true }
    if (weeksAgo === buildPeak - 1) return { load: 0.6, spike: false }
    if (weeksAgo >= buildPeak && weeksAgo < buildPeak + 10) return { load: 1 + 0.6 * (buildPeak + 9 - weeksAgo) / 9, spike: false }
    if (restWeeks.has(weeksAgo)) return { load: 0, spike: false }
    const base = Math.min(1, 0.55 + 0.45 * (weeks - 1 - weeksAgo) / 12)
    return { load: (weeksAgo + cycleOffset) % 4 === 0 ? base * 0.65 : base, spike: false }
  }
}

function partOfDay (hour: number): string {
  if (hour < 11) return 'Morning'
  if (hour < 14) return 'Lunch'
  if (hour < 18) return 'Afternoon'
  return 'Evening'
}

interface AthleteTraits { restingHr: number, maxHr: number, speedFactor: number, volume: number, wearsHeartRate: boolean }

function generateSession (random: Random, traits: AthleteTraits, day: string, session: Session, load: number): Omit<NewActivity, 'id'> {
  const hour = Math.floor(between(random, 6, 20))
  const minutes = baseMinutes[session.effort] * (sportDuration[session.sport] ?? 1) * traits.volume * load * between(random, 0.85, 1.15)
  const movingTimeS = Math.round(minutes * 60)
  const activity: Omit<NewActivity, 'id'> = {
    sportType: session.sport,
    startDateLocal: `${day}T${String(hour).padStart(2, '0')}:${pick(random, ['00', '15', '30', '45'])}:00`,
    movingTimeS,
    name: `${partOfDay(hour)} ${session.sport.replace(/([a-z])([A-Z])/g, '$1 $2')}${session.effort === 'hard' ? ' intervals' : ''}`
  }
  const motion = sportMotion[session.sport]
  if (motion) {
    const pace = session.effort === 'hard' ? 1.08 : session.effort === 'long' ? 0.93 : 0.97
    const distanceM = movingTimeS * motion.speed * traits.speedFactor * pace * between(random, 0.95, 1.05)
    activity.distanceM = round1(distanceM)
    if (motion.climbPerKm > 0) activity.elevationGainM = round1(distanceM / 1000 * motion.climbPerKm * between(random, 0.5, 1.6))
  }
  // Pools and weight rooms are where heart-rate straps most often stay in the bag.
  const strapOn = traits.wearsHeartRate && (session.sport !== 'Swim' || random() < 0.5)
  if (strapOn) {
    const [low, high] = session.sport === 'WeightTraining' ? [0.45, 0.6] as const : effortIntensity[session.effort]
    const averageHeartrate = traits.restingHr + between(random, low, high) * (traits.maxHr - traits.restingHr)
    activity.averageHeartrate = round1(averageHeartrate)
    activity.maxHeartrate = Math.min(traits.maxHr, Math.round(averageHeartrate + between(random, 8, 25)))
  }
  if (session.sport === 'WeightTraining' || random() < 0.3) {
    const base = session.effort === 'hard' ? 7 : session.effort === 'long' ? 6 : 4
    activity.perceivedEffort = Math.max(1, Math.min(10, base + Math.floor(between(random, -1, 2))))
  }
  return activity
}

/** The sessions of one day: the template's, sometimes skipped, doubled in an overreaching week. */
function sessionsOfDay (random: Random, template: Array<Session | null>, weekday: number, spike: boolean): Session[] {
  const planned = template[weekday]
  const sessions: Session[] = planned && random() > 0.08 ? [planned] : []
  if (spike && weekday % 2 === 1) sessions.push({ sport: pick(random, template.filter(s => s !== null)).sport, effort: 'hard' })
  return sessions
}

function generateAthlete (index: number, seed: number, lastDay: string): DemoAthlete {
  const random = seededRandom(seed ^ Math.imul(index + 1, 0x9e3779b1))
  const name = names[index % names.length]!
  const sex = womenNames.has(name.split(' ')[0]!) ? 'F' : 'M'
  const archetype = Object.values(archetypes)[index % Object.keys(archetypes).length]!
  const traits: AthleteTraits = {
    restingHr: Math.round(between(random, 40, 62)),
    maxHr: Math.round(between(random, 172, 198)),
    speedFactor: between(random, 0.85, 1.15),
    volume: between(random, 0.7, 1.3),
    wearsHeartRate: index % 6 !== 4
  }
  const plan = weeklyPlan(index, random, Math.ceil(DEMO_DAYS / 7))
  const activities: NewActivity[] = []
  for (let daysAgo = DEMO_DAYS - 1; daysAgo >= 0; daysAgo--) {
    const day = addDays(lastDay, -daysAgo)
    const { load, spike } = plan(Math.floor(daysAgo / 7))
    if (load === 0) continue
    const weekday = new Date(`${day}T00:00:00Z`).getUTCDay()
    for (const session of sessionsOfDay(random, archetype, weekday, spike)) {
      activities.push({ id: ACTIVITY_ID_BASE + index * 100_000 + activities.length + 1, ...generateSession(random, traits, day, session, load) })
    }
  }
  return {
    stravaAthleteId: STRAVA_ATHLETE_ID_BASE + index + 1,
    name,
    sex,
    restingHr: traits.restingHr,
    maxHr: traits.maxHr,
    timezone: DEMO_TIMEZONES[index % DEMO_TIMEZONES.length]!,
    activities
  }
}

/** The demo fleet, its history ending on `lastDay` (normally today). The same inputs give the same fleet. */
export function demoFleet ({ lastDay, seed = DEMO_SEED, athletes = DEMO_ATHLETE_COUNT }: { lastDay: string, seed?: number, athletes?: number }): DemoAthlete[] {
  return Array.from({ length: athletes }, (_, index) => generateAthlete(index, seed, lastDay))
}
