import { randomBytes } from 'node:crypto'
import { inTransaction, type StatementSample } from '../db/statement-check.ts'
import { createTokenCipher } from './crypto.ts'
import { listTokenHealth } from './health.ts'
import { consumeState } from './oauth-states.ts'
import {
  claimDueTokens, countDueTokens, deleteLongInvalidTokens, insertTokenEvents, invalidateToken, loadSealedTokens,
  lockExistingAthletes, recordRefreshes, recordRefreshFailure, releaseClaims, rewriteSealedTokens, upsertSealedTokens
} from './queries.ts'
import { countStaleTokens } from './rotate-key.ts'
import { summarizeTokens } from './summary.ts'

const sealed = { athleteId: 1, accessToken: 'v1.key.iv.tag.access', refreshToken: 'v1.key.iv.tag.refresh', expiresAt: 1_900_000_000 }

export const statementSamples: StatementSample[] = [
  { name: 'lockExistingAthletes', run: db => inTransaction(db, trx => lockExistingAthletes(trx, [1])) },
  { name: 'upsertSealedTokens', run: db => inTransaction(db, trx => upsertSealedTokens(trx, [{ ...sealed, scope: 'read' }])) },
  { name: 'rewriteSealedTokens', run: db => inTransaction(db, trx => rewriteSealedTokens(trx, [sealed])) },
  { name: 'insertTokenEvents', run: db => insertTokenEvents(db, [1], 'saved', 'sample') },
  { name: 'loadSealedTokens', run: db => loadSealedTokens(db, [1]) },
  { name: 'countDueTokens', run: db => countDueTokens(db, { athleteIds: [1], withinMinutes: 60 }) },
  {
    name: 'claimDueTokens',
    run: db => claimDueTokens(db, { athleteIds: [1], withinMinutes: 60, limit: 8, leaseSeconds: 900, untouchedSince: '2026-03-01T00:00:00Z' })
  },
  { name: 'releaseClaims', run: db => releaseClaims(db, [1]) },
  { name: 'recordRefreshes', run: db => recordRefreshes(db, [sealed]) },
  { name: 'recordRefreshFailure', run: db => recordRefreshFailure(db, 1, 'sample') },
  { name: 'invalidateToken', run: db => invalidateToken(db, 1, 'sample') },
  { name: 'deleteLongInvalidTokens', run: db => deleteLongInvalidTokens(db, 30) },
  { name: 'countStaleTokens', run: db => countStaleTokens(db, createTokenCipher(randomBytes(32).toString('base64'))) },
  { name: 'summarizeTokens', run: db => summarizeTokens(db) },
  { name: 'listTokenHealth', run: db => listTokenHealth(db, { status: 'expired', limit: 10, afterAthleteId: 1 }) },
  { name: 'consumeState', run: db => consumeState(db, 'sample-state', 1_900_000_000) }
]
