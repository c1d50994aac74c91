import type { StatementSample } from '../db/statement-check.ts'
import { readPmcDays } from './queries.ts'

export const statementSamples: StatementSample[] = [
  { name: 'readPmcDays', run: db => readPmcDays(db, 1, { from: '2026-01-01', to: '2026-03-31' }) }
]
