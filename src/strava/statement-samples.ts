import { inTransaction, type StatementSample } from '../db/statement-check.ts'
import { ReadLease, readBudgetStatus, recordStatedUsage, takeReadBudget } from './budget.ts'
import { queueAthleteTask, queueSyncs, removeQueuedSync } from './jobs.ts'
import { connectedAthletes, countSyncStates, loadSyncState, markQueued, recordPage, tokenStatus, upsertSyncState } from './queries.ts'
import { countExpiredStravaActivities, dropExpiredStravaFields, queueRetention } from './retention.ts'

const at = new Date('2026-03-02T10:07:30Z')

export const statementSamples: StatementSample[] = [
  { name: 'takeReadBudget', run: db => takeReadBudget(db, at, 0.1) },
  {
    name: 'ReadLease take and release',
    run: async db => {
      const lease = new ReadLease(db, 0.1, () => at, 3)
      await lease.take()
      await lease.release()
    }
  },
  { name: 'recordStatedUsage', run: db => recordStatedUsage(db, at, { overallLimit: [200, 2000], overallUsage: [1, 2], readLimit: [100, 1000], readUsage: [1, 2] }) },
  { name: 'readBudgetStatus', run: db => readBudgetStatus(db, at) },
  { name: 'queueSyncs', run: db => queueSyncs(db, [1, 2], { full: true, runAt: at, priority: 5 }) },
  { name: 'queueAthleteTask', run: db => queueAthleteTask(db, 'strava-activity', { athleteId: 1, activityId: 2, aspect: 'create' }) },
  { name: 'removeQueuedSync', run: db => removeQueuedSync(db, 1) },
  { name: 'loadSyncState', run: db => loadSyncState(db, 1) },
  { name: 'upsertSyncState', run: db => upsertSyncState(db, 1, { state: 'running' }) },
  { name: 'markQueued', run: db => markQueued(db, [1]) },
  { name: 'recordPage', run: db => inTransaction(db, trx => recordPage(trx, 1, { backfillPages: 3 })) },
  { name: 'countSyncStates', run: db => countSyncStates(db) },
  { name: 'connectedAthletes', run: db => connectedAthletes(db, [1]) },
  { name: 'tokenStatus', run: db => tokenStatus(db, 1) },
  { name: 'countExpiredStravaActivities', run: db => countExpiredStravaActivities(db, '2026-01-01') },
  { name: 'dropExpiredStravaFields', run: db => dropExpiredStravaFields(db, { retentionDays: 30, now: at }) },
  { name: 'queueRetention', run: db => queueRetention(db, 30, at) }
]
