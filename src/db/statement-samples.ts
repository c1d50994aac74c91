import { findAthlete, listAthleteIds, lockAthletes } from './athletes.ts'
import { findMissingSchema } from './schema-check.ts'
import { inTransaction, type StatementSample } from './statement-check.ts'

export const statementSamples: StatementSample[] = [
  { name: 'lockAthletes', run: db => inTransaction(db, trx => lockAthletes(trx, [1, 2])) },
  { name: 'findAthlete', run: db => findAthlete(db, 1) },
  { name: 'listAthleteIds', run: db => listAthleteIds(db) },
  { name: 'findMissingSchema (catalog)', run: db => findMissingSchema(db) }
]
