import { inTransaction, type StatementSample } from '../db/statement-check.ts'
import { findApiKey, issueApiKey, listApiKeys, revokeApiKey, revokeApiKeys } from './api-keys.ts'
import { findUnknownTimezones, listAthletesPage, lockAthletesByStravaId, updateAthleteSettings, upsertAthleteRows } from './queries.ts'

export const statementSamples: StatementSample[] = [
  { name: 'findUnknownTimezones', run: db => findUnknownTimezones(db, ['Europe/Paris']) },
  {
    name: 'upsertAthleteRows',
    run: db => inTransaction(db, trx => upsertAthleteRows(trx, [{ stravaAthleteId: 1, name: 'Ada', sex: 'F', restingHr: 48, maxHr: 186, timezone: 'Europe/Paris' }]))
  },
  { name: 'lockAthletesByStravaId', run: db => inTransaction(db, trx => lockAthletesByStravaId(trx, [1, 2])) },
  {
    name: 'updateAthleteSettings',
    run: db => inTransaction(db, trx => updateAthleteSettings(trx, 1, {
      acwr_model: 'rolling', acute_days: 7, chronic_days: 28, decay_rate: 0.05, ctl_days: 42, atl_days: 7, resting_hr: null, max_hr: null, sex: null, timezone: 'UTC'
    }))
  },
  { name: 'listAthletesPage', run: db => listAthletesPage(db, { limit: 10, afterId: 1 }) },
  { name: 'issueApiKey', run: db => issueApiKey(db, 1) },
  { name: 'findApiKey', run: db => findApiKey(db, 'tl_sample') },
  { name: 'revokeApiKeys', run: db => revokeApiKeys(db, 1) },
  { name: 'listApiKeys', run: db => listApiKeys(db, 1) },
  { name: 'revokeApiKey', run: db => revokeApiKey(db, 1, 1) }
]
