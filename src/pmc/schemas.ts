import { Type } from 'typebox'
import { Day, Nullable } from '../schemas/common.ts'

export { AcwrQuery as PmcQuery } from '../acwr/schemas.ts'

const PmcValues = Type.Object({
  load: Nullable(Type.Number({ description: 'the day\'s load; null when it is unknown (an internal load without heart rate)' })),
  ctl: Type.Number({ description: 'fitness: the load averaged exponentially over ctlDays, λ = 1 − e^(−1/ctlDays)' }),
  atl: Type.Number({ description: 'fatigue: the same over atlDays' }),
  tsb: Type.Number({ description: 'form: yesterday\'s ctl − yesterday\'s atl; 0 on the first day' }),
  rampRate: Nullable(Type.Number({ description: 'ctl − ctl 7 days earlier; null for the first 7 days' })),
  monotony: Nullable(Type.Number({ description: 'Foster: mean / sample standard deviation of the 7 daily loads ending today; null when they are all equal, or fewer than 7 are known' })),
  strain: Nullable(Type.Number({ description: '7-day total load × monotony; null with monotony' }))
})

export const PmcDay = Type.Object({
  date: Day,
  external: PmcValues,
  internal: PmcValues
})

export const PmcSeries = Type.Object({
  athleteId: Type.Integer(),
  ctlDays: Type.Integer(),
  atlDays: Type.Integer(),
  days: Type.Array(PmcDay, { description: 'ascending, one entry per calendar day from the first activity through today' })
})
