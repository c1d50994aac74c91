import { inTransaction, type StatementSample } from '../db/statement-check.ts'
import { countActivities, deleteActivityRow, listActivityRows, listHeartRateActivities, updateTrimp, upsertActivityRows } from './queries.ts'

const activity = {
  id: 1,
  sportType: 'Run',
  startDateLocal: '2026-03-01T07:30:00',
  movingTimeS: 3600,
  distanceM: 10_000,
  elevationGainM: 120,
  averageHeartrate: 150,
  maxHeartrate: 172,
  perceivedEffort: 6,
  name: 'Tempo',
  externalLoad: 6.6,
  trimp: 80,
  startDate: '2026-03-01T06:30:00Z',
  timezone: 'Europe/Berlin',
  localTimeBasis: 'file' as const
}

export const statementSamples: StatementSample[] = [
  { name: 'upsertActivityRows', run: db => inTransaction(db, trx => upsertActivityRows(trx, 1, [activity], 'api')) },
  { name: 'updateTrimp', run: db => inTransaction(db, trx => updateTrimp(trx, [{ athlete_id: 1, id: 1, trimp: 80 }])) },
  { name: 'listHeartRateActivities', run: db => inTransaction(db, trx => listHeartRateActivities(trx, [1])) },
  { name: 'countActivities', run: db => inTransaction(db, trx => countActivities(trx, 1)) },
  { name: 'deleteActivityRow', run: db => deleteActivityRow(db, 1, 1) },
  { name: 'listActivityRows', run: db => listActivityRows(db, 1, { from: '2026-01-01', to: '2026-03-31', limit: 10, after: { startDateLocal: '2026-03-01T07:30:00', id: 1 } }) }
]
