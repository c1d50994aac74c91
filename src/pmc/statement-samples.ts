import type { StatementSample } from '../db/statement-check.ts'
import { listPmcRows } from './queries.ts'

export const statementSamples: StatementSample[] = [
  { name: 'listPmcRows', run: db => listPmcRows(db, 1, { from: '2026-01-01', to: '2026-03-31' }) }
]
