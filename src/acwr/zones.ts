import type { AcwrModel } from './models.ts'

/** The ratio thresholds of the display zones: below `low` low, to `high` optimal, to `danger` high, above danger. */
export interface Bands {
  low: number
  high: number
  danger: number
}

export interface BandSettings {
  model: AcwrModel
  acuteDays: number
  chronicDays: number
  decayRate: number
}

/**
 * Gabbett (Br J Sports Med 2016;50:273–280): 0.8–1.3 the "sweet spot", above 1.5 the danger
 * zone. They were read off coupled rolling-average ratios, 7-day acute over 28-day chronic.
 */
export const GABBETT_BANDS: Bands = { low: 0.8, high: 1.3, danger: 1.5 }

/**
 * Each model reads the same training differently, so each gets Gabbett's thresholds carried
 * over to its own scale (docs/science.md, "Zones and bands"): the ratio the model shows for
 * the training pattern that reads exactly the threshold on the coupled rolling scale, namely
 * a long steady base followed by A days at k times that base.
 *
 * On the coupled scale that pattern reads RAC(k) = k·C / (A·k + C − A), so the base multiple
 * behind a threshold is k = RAC·(C − A) / (C − A·RAC). That k is itself the uncoupled ratio
 * for any history, which is the conversion RAU = RAC·(C − A)/(C − A·RAC) (0.75 / 1.444 / 1.8
 * at 7/28). For the EWMA and the decay model it is only a translation for this one pattern:
 * no band set validated on those scales has been published.
 */
export function bandsFor (settings: BandSettings): Bands {
  const convert = (coupled: number) => ratioAfterStep(settings, baseMultiple(coupled, settings))
  if (settings.model === 'rolling') return { ...GABBETT_BANDS }
  return { low: convert(GABBETT_BANDS.low), high: convert(GABBETT_BANDS.high), danger: convert(GABBETT_BANDS.danger) }
}

/** The multiple k of a steady base, held for the last A days, that reads `coupled` on the coupled rolling scale. */
function baseMultiple (coupled: number, { acuteDays: A, chronicDays: C }: BandSettings): number {
  return coupled * (C - A) / (C - A * coupled)
}

/** What each model reads after a steady base of 1 followed by A days at k (today the last of them). */
function ratioAfterStep ({ model, acuteDays: A, chronicDays: C, decayRate }: BandSettings, k: number): number {
  if (model === 'rolling') return k * C / (A * k + C - A)
  if (model === 'rolling-uncoupled') return k
  if (model === 'ewma') {
    // From a settled EWMA of 1, A days at k leave k − (k − 1)(1 − λ)^A.
    const settle = (lambda: number) => k - (k - 1) * (1 - lambda) ** A
    return settle(2 / (A + 1)) / settle(2 / (C + 1))
  }
  // Decay: acute is the plain mean k; chronic weighs the last A days (at k) and the C − A before (at 1) by e^(−r·j).
  const w = Math.exp(-decayRate)
  const weights = (from: number, to: number) => (w ** from - w ** to) / (1 - w)
  return k / ((k * weights(0, A) + weights(A, C)) / weights(0, C))
}

export const ZONES = ['insufficient-data', 'low', 'optimal', 'high', 'danger'] as const
export type Zone = typeof ZONES[number]

/**
 * A chronic load below this (miles-equivalent per day, about 4.5 km of running over four
 * weeks) is no training base to compare against: a 0.01 load after 30 rest days would read a
 * coupled ratio of C/A = 4.0 and "danger". A ratio over a near-zero denominator mostly shows
 * the noise of the numerator (Lolli et al., Br J Sports Med 2019; Impellizzeri et al., Int J
 * Sports Physiol Perform 2020), so below the floor the zone is insufficient-data.
 */
export const MIN_CHRONIC_LOAD = 0.1

/**
 * The display zone of the external ratio (docs/science.md, "Zones and bands"): no zone while
 * the ratio is null, the chronic window incomplete, or the chronic load below the floor.
 */
export function zoneOf ({ ratio, chronic, complete }: { ratio: number | null, chronic: number, complete: boolean }, bands: Bands): Zone {
  if (ratio === null || !complete || chronic < MIN_CHRONIC_LOAD) return 'insufficient-data'
  if (ratio < bands.low) return 'low'
  if (ratio <= bands.high) return 'optimal'
  if (ratio <= bands.danger) return 'high'
  return 'danger'
}
