/**
 * Replies round at the API boundary; storage keeps full precision. A sum of loads such as
 * 5.248 comes out of float8 arithmetic as 5.247999999999999, which is noise, not precision.
 * toFixed rounds the stored double to the nearest decimal, and Number() gives back the
 * shortest double that prints as that decimal.
 */
export const DECIMALS = {
  /** Daily loads: miles-equivalent and TRIMP are themselves only good to 2 decimals. */
  load: 2,
  /** Acute and chronic loads, and the performance chart's CTL, ATL and TSB. */
  level: 3,
  /** Ratios, divergence, coverage, monotony. */
  ratio: 4
} as const

export function roundTo (value: number, decimals: number): number
export function roundTo (value: number | null, decimals: number): number | null
export function roundTo (value: number | null, decimals: number): number | null {
  if (value === null) return null
  const rounded = Number(value.toFixed(decimals))
  return rounded === 0 ? 0 : rounded
}
