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
  acute: number | null
  chronic: number | null
  ratio: number | null
  complete: boolean
  /** The share of the chronic window's days whose load is known. */
  coverage: number
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0)

/** The SQL recurrence flushes values below the smallest normal double to 0 (see docs/science.md). */
const flushed = (value: number) => Math.abs(value) < 2.2250738585072014e-308 ? 0 : value

/** A ratio needs 2/3 of each window's days known (docs/science.md, "Unknown internal load"). */
const enoughKnown = (known: number, span: number) => 3 * known >= 2 * span

/**
 * EWMA_t = λ·L_t + (1 − λ)·EWMA_{t−1}, seeded with the first known day's load, carried over
 * unknown days; null before the first known day.
 */
function ewma (loads: Array<number | null>, lambda: number): Array<number | null> {
  let value: number | null = null
  return loads.map(load => {
    if (load !== null) value = value === null ? load : flushed(lambda * load + (1 - lambda) * value)
    return value
  })
}

/**
 * loads[0] is the first activity day, the last element today; null is a day whose load is
 * unknown (only the internal load has those). A window without a known day has no internal
 * mean (null); an empty external window (the uncoupled model's first A days) reads 0.
 */
export function referenceSeries (loads: Array<number | null>, { model, acuteDays: A, chronicDays: C, decayRate }: ReferenceSettings, kind: 'external' | 'internal' = 'external'): ReferenceDay[] {
  const known = (from: number, to: number) => loads.slice(Math.max(0, from), Math.max(0, to)).filter((load): load is number => load !== null)
  const meanOf = (values: number[]) => values.length === 0 ? (kind === 'internal' ? null : 0) : sum(values) / values.length
  const acuteEwma = ewma(loads, 2 / (A + 1))
  const chronicEwma = ewma(loads, 2 / (C + 1))

  return loads.map((_, t) => {
    const acuteSpan = Math.min(t + 1, A)
    const acuteKnown = known(t - A + 1, t + 1)
    let acute = meanOf(acuteKnown)
    let chronic: number | null
    let chronicSpan = Math.min(t + 1, C)
    let chronicKnown = known(t - C + 1, t + 1).length
    if (model === 'rolling') {
      chronic = meanOf(known(t - C + 1, t + 1))
    } else if (model === 'rolling-uncoupled') {
      const before = known(t - C + 1, t - A + 1)
      chronicSpan = Math.max(0, Math.min(t + 1, C) - A)
      chronicKnown = before.length
      chronic = meanOf(before)
    } else if (model === 'ewma') {
      acute = acuteEwma[t]!
      chronic = chronicEwma[t]!
    } else {
      let weighted = 0
      let weights = 0
      for (let k = 0; k < C && t - k >= 0; k++) {
        const load = loads[t - k]!
        if (load === null) continue
        weighted += Math.exp(-decayRate * k) * load
        weights += Math.exp(-decayRate * k)
      }
      chronic = weights === 0 ? null : weighted / weights
    }
    // The EWMA's seed (day 0) keeps (1 − λc)^t of the chronic weight on day t; complete below 5%.
    const complete = model === 'ewma' ? (1 - 2 / (C + 1)) ** t < 0.05 : t + 1 >= C
    const sufficient = enoughKnown(acuteKnown.length, acuteSpan) && enoughKnown(chronicKnown, chronicSpan)
    return {
      acute,
      chronic,
      ratio: chronic === null || chronic === 0 || acute === null || !sufficient ? null : acute / chronic,
      complete,
      coverage: chronicSpan === 0 ? 0 : chronicKnown / chronicSpan
    }
  })
}

export function referenceDivergence (external: number | null, internal: number | null): number | null {
  if (external === null || internal === null) return null
  if (external + internal === 0) return 0
  return (external - internal) / ((external + internal) / 2)
}
