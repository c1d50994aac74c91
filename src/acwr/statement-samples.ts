import { inTransaction, type StatementSample } from '../db/statement-check.ts'
import { recomputeAcwrFrom, rollAcwrForward } from './engine.ts'
import { ACWR_MODELS } from './models.ts'
import { readAcwrDays } from './queries.ts'
import { summarizeAcwr } from './summary.ts'

/** The ACWR update statement is raw SQL: these samples are what checks it against the schema. */
export const statementSamples: StatementSample[] = [
  ...ACWR_MODELS.map(model => ({
    name: `recomputeAcwrFrom (the ACWR update statement, ${model})`,
    run: db => inTransaction(db, trx => recomputeAcwrFrom(trx, [{ id: 1, acwr_model: model }], '2026-01-01'))
  } satisfies StatementSample)),
  { name: 'recomputeAcwrFrom (whole history)', run: db => inTransaction(db, trx => recomputeAcwrFrom(trx, [{ id: 1, acwr_model: 'ewma' }], null)) },
  { name: 'rollAcwrForward', run: db => inTransaction(db, trx => rollAcwrForward(trx, [{ id: 1, acwr_model: 'rolling' }])) },
  { name: 'readAcwrDays', run: db => readAcwrDays(db, 1, { from: '2026-01-01', to: '2026-03-31' }) },
  { name: 'summarizeAcwr', run: db => summarizeAcwr(db) }
]
