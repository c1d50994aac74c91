import { sql, type Transaction } from 'kysely'
import type { DB } from '../db/types.ts'
import type { LockedAthlete } from '../db/athletes.ts'
import { ACWR_MODELS } from './models.ts'
import { FULL_HISTORY, ROLL_FORWARD, acwrUpdateStatement, type AcwrUpdateCounts } from './statement.ts'

/**
 * Brings the athletes' ACWR series up to date from `from` through today: one statement per
 * model among them. The caller holds the athletes' row locks (lockAthletes) in `trx`.
 */
async function updateAcwr (trx: Transaction<DB>, athletes: Pick<LockedAthlete, 'id' | 'acwr_model'>[], from: string): Promise<AcwrUpdateCounts> {
  const totals: AcwrUpdateCounts = { days: 0, written: 0 }
  // The statement sorts the athletes' whole series twice; with the default work_mem a batch
  // of athletes spills those sorts to disk. SET LOCAL ends with the transaction.
  if (athletes.length > 1) await sql`set local work_mem = '64MB'`.execute(trx)
  for (const model of ACWR_MODELS) {
    const ids = athletes.filter(athlete => athlete.acwr_model === model).map(athlete => athlete.id)
    if (ids.length === 0) continue
    const { rows: [counts] } = await acwrUpdateStatement(model, ids, from).execute(trx)
    totals.days += counts!.days
    totals.written += counts!.written
  }
  return totals
}

/** Recomputes from `day` (clamped to each athlete's series), or the whole history when null. */
export function recomputeAcwrFrom (trx: Transaction<DB>, athletes: Pick<LockedAthlete, 'id' | 'acwr_model'>[], day: string | null): Promise<AcwrUpdateCounts> {
  return updateAcwr(trx, athletes, day ?? FULL_HISTORY)
}

/** Computes only the days after each athlete's last computed day, through today. */
export function rollAcwrForward (trx: Transaction<DB>, athletes: Pick<LockedAthlete, 'id' | 'acwr_model'>[]): Promise<AcwrUpdateCounts> {
  return updateAcwr(trx, athletes, ROLL_FORWARD)
}
