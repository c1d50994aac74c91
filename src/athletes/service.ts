import { httpErrors } from '@fastify/sensible'
import type { Database } from '../db/database.ts'
import { recomputeAcwrFrom } from '../acwr/engine.ts'
import { refreshTrimp } from '../activities/service.ts'
import { findAthlete, lockAthletes, type AthleteRow } from '../db/athletes.ts'
import { writeForAthlete } from '../db/athlete-writes.ts'
import { findUnknownTimezones, lockAthletesByStravaId, updateAthleteSettings, upsertAthleteRows, type SettingsRow } from './queries.ts'
import { retryConflicts } from '../db/retry.ts'
import type { AthleteUpsert, AthleteView, SettingsChange } from './schemas.ts'

/** Rows per upsert statement: bounds statement size; all chunks share one transaction. */
const UPSERT_CHUNK = 1000

export function toAthlete (row: AthleteRow): AthleteView {
  return {
    id: row.id,
    stravaAthleteId: row.strava_athlete_id,
    name: row.name,
    sex: row.sex,
    restingHr: row.resting_hr,
    maxHr: row.max_hr,
    timezone: row.timezone,
    settings: {
      acwrModel: row.acwr_model,
      acuteDays: row.acute_days,
      chronicDays: row.chronic_days,
      decayRate: row.decay_rate,
      ctlDays: row.ctl_days,
      atlDays: row.atl_days
    }
  }
}

async function assertKnownTimezones (db: Database, zones: Array<string | undefined>, field: string): Promise<void> {
  const given = [...new Set(zones.filter((zone): zone is string => zone !== undefined))]
  const [unknown] = await findUnknownTimezones(db, given)
  if (unknown !== undefined) throw httpErrors.badRequest(`${field}: "${unknown}" is not an IANA timezone`)
}

function assertValidAthleteInputs (items: AthleteUpsert[]): void {
  const seen = new Set<number>()
  items.forEach((item, index) => {
    if (seen.has(item.stravaAthleteId)) {
      throw httpErrors.badRequest(`athletes/${index}/stravaAthleteId: ${item.stravaAthleteId} appears more than once in the batch`)
    }
    seen.add(item.stravaAthleteId)
    if (item.restingHr !== undefined && item.maxHr !== undefined && item.restingHr >= item.maxHr) {
      throw httpErrors.badRequest(`athletes/${index}/maxHr: must be above restingHr`)
    }
  })
}

/**
 * Upserts athletes keyed by Strava athlete id, in one transaction. Existing athletes whose
 * sex, heart rate or timezone changed get their TRIMP and ACWR recomputed in it too. Rows are
 * locked in a fixed order (stored ones by id, then new ones by Strava id), whatever order the
 * body has, so concurrent batches queue behind each other instead of deadlocking; a deadlock
 * with some other writer is retried.
 */
export async function upsertAthletes (db: Database, items: AthleteUpsert[]): Promise<Array<{ id: number, stravaAthleteId: number }>> {
  assertValidAthleteInputs(items)
  await assertKnownTimezones(db, items.map(item => item.timezone), 'timezone')
  const inKeyOrder = [...items].sort((a, b) => a.stravaAthleteId - b.stravaAthleteId)
  const upserted = await retryConflicts(() => db.transaction().execute(async trx => {
    await lockAthletesByStravaId(trx, inKeyOrder.map(item => item.stravaAthleteId))
    const rows = []
    for (let start = 0; start < inKeyOrder.length; start += UPSERT_CHUNK) {
      rows.push(...await upsertAthleteRows(trx, inKeyOrder.slice(start, start + UPSERT_CHUNK)))
    }
    const stale = await lockAthletes(trx, rows.filter(row => row.loads_changed).map(row => row.id))
    if (stale.length > 0) {
      await refreshTrimp(trx, stale)
      await recomputeAcwrFrom(trx, stale, null)
    }
    return rows
  })).catch(rethrowCheckViolation)
  const ids = new Map(upserted.map(row => [row.strava_athlete_id, row.id]))
  return items.map(item => ({ id: ids.get(item.stravaAthleteId)!, stravaAthleteId: item.stravaAthleteId }))
}

/** A stored heart rate combined with a new one can break resting < max. */
function rethrowCheckViolation (err: Error & { code?: string, constraint?: string }): never {
  if (err.code === '23514') throw httpErrors.badRequest('restingHr: must be below maxHr')
  throw err
}

export async function getAthlete (db: Database, athleteId: number): Promise<AthleteView> {
  const row = await findAthlete(db, athleteId)
  if (!row) throw httpErrors.notFound(`athlete ${athleteId} not found`)
  return toAthlete(row)
}

function mergeSettings (row: AthleteRow, patch: SettingsChange): SettingsRow {
  const merged: SettingsRow = {
    acwr_model: patch.acwrModel ?? row.acwr_model,
    acute_days: patch.acuteDays ?? row.acute_days,
    chronic_days: patch.chronicDays ?? row.chronic_days,
    decay_rate: patch.decayRate ?? row.decay_rate,
    ctl_days: patch.ctlDays ?? row.ctl_days,
    atl_days: patch.atlDays ?? row.atl_days,
    resting_hr: patch.restingHr === undefined ? row.resting_hr : patch.restingHr,
    max_hr: patch.maxHr === undefined ? row.max_hr : patch.maxHr,
    sex: patch.sex === undefined ? row.sex : patch.sex,
    timezone: patch.timezone ?? row.timezone
  }
  if (merged.chronic_days < 2 * merged.acute_days) {
    throw httpErrors.badRequest(`chronicDays: must be at least 2 × acuteDays (${2 * merged.acute_days})`)
  }
  if (merged.atl_days >= merged.ctl_days) {
    // Name the field the patch changed; when it changed both, ATL is the one out of place.
    const field = patch.atlDays === undefined ? 'ctlDays' : 'atlDays'
    throw httpErrors.badRequest(field === 'atlDays'
      ? `atlDays: must be less than ctlDays (${merged.ctl_days})`
      : `ctlDays: must be more than atlDays (${merged.atl_days})`)
  }
  if (merged.resting_hr !== null && merged.max_hr !== null && merged.resting_hr >= merged.max_hr) {
    throw httpErrors.badRequest(`maxHr: must be above restingHr (${merged.resting_hr})`)
  }
  return merged
}

const SETTINGS_COLUMNS: ReadonlyArray<keyof SettingsRow> = ['acwr_model', 'acute_days', 'chronic_days', 'decay_rate', 'ctl_days',
  'atl_days', 'resting_hr', 'max_hr', 'sex', 'timezone']

const changesNothing = (current: AthleteRow, settings: SettingsRow) => SETTINGS_COLUMNS.every(column => settings[column] === current[column])

/**
 * Changes an athlete's settings and recomputes their whole ACWR and PMC history (and TRIMP,
 * when sex or heart rate changed) in one transaction. A patch that changes nothing (`{}`, or
 * the stored values) is answered from the stored row, without queueing, locking or
 * recomputing: repeating a PATCH costs a read.
 */
export async function updateSettings (db: Database, athleteId: number, patch: SettingsChange): Promise<AthleteView> {
  await assertKnownTimezones(db, [patch.timezone], 'timezone')
  const stored = await findAthlete(db, athleteId)
  if (!stored) throw httpErrors.notFound(`athlete ${athleteId} not found`)
  if (changesNothing(stored, mergeSettings(stored, patch))) return toAthlete(stored)
  return writeForAthlete(db, athleteId, async trx => {
    const current = (await findAthlete(trx, athleteId))!
    const settings = mergeSettings(current, patch)
    if (changesNothing(current, settings)) return toAthlete(current)
    const updated = await updateAthleteSettings(trx, athleteId, settings)
    if (settings.sex !== current.sex || settings.resting_hr !== current.resting_hr || settings.max_hr !== current.max_hr) {
      await refreshTrimp(trx, [updated])
    }
    await recomputeAcwrFrom(trx, [updated], null)
    return toAthlete(updated)
  })
}
