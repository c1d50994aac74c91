/**
 * A plain, deliberately naive implementation of the four ACWR models, written straight from
 * the definitions in docs/science.md: every window is summed afresh for every day. The SQL engine is
 * checked against it.
 */

export interface ReferenceSettings {
  model: 'rolling' | 'rolling-uncoupled' | 'ewma' | 'decay'
  acuteDays: number
  chronicDays: number
  decayRate: number
}

export interface ReferenceDay {
  acute: number
  chronic: number
  ratio: number | null
  complete: boolean
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0)

/** The SQL recurrence flushes values below the smallest normal double to 0 (see docs/science.md). */
const flushed = (value: number) => Math.abs(value) < 2.2250738585072014e-308 ? 0 : value

/** loads[0] is the first activity day, the last element today. */
export function referenceSeries (loads: number[], { model, acuteDays: A, chronicDays: C, decayRate }: ReferenceSettings): ReferenceDay[] {
  const mean = (t: number, days: number) => {
    const window = loads.slice(Math.max(0, t - days + 1), t + 1)
    return sum(window) / window.length
  }
  const ewma = (lambda: number) => {
    const values: number[] = []
    loads.forEach((load, t) => values.push(t === 0 ? load : flushed(lambda * load + (1 - lambda) * values[t - 1]!)))
    return values
  }
  const acuteEwma = ewma(2 / (A + 1))
  const chronicEwma = ewma(2 / (C + 1))

  return loads.map((_, t) => {
    let acute = mean(t, A)
    let chronic: number
    if (model === 'rolling') {
      chronic = mean(t, C)
    } else if (model === 'rolling-uncoupled') {
      const window = loads.slice(Math.max(0, t - C + 1), Math.max(0, t - A + 1))
      chronic = window.length === 0 ? 0 : sum(window) / window.length
    } else if (model === 'ewma') {
      acute = acuteEwma[t]!
      chronic = chronicEwma[t]!
    } else {
      let weighted = 0
      let weights = 0
      for (let k = 0; k < C && t - k >= 0; k++) {
        weighted += Math.exp(-decayRate * k) * loads[t - k]!
        weights += Math.exp(-decayRate * k)
      }
      chronic = weighted / weights
    }
    // The EWMA's seed (day 0) keeps (1 − λc)^t of the chronic weight on day t; complete below 5%.
    const complete = model === 'ewma' ? (1 - 2 / (C + 1)) ** t < 0.05 : t + 1 >= C
    return { acute, chronic, ratio: chronic === 0 ? null : acute / chronic, complete }
  })
}

export function referenceDivergence (external: number | null, internal: number | null): number | null {
  if (external === null || internal === null) return null
  if (external + internal === 0) return 0
  return (external - internal) / ((external + internal) / 2)
}
