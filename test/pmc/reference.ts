/**
 * A plain, deliberately naive performance management chart, written straight from the
 * definitions in docs/science.md ("Performance management chart"): every week is summed
 * afresh for every day. The SQL in the ACWR update statement is checked against it.
 */

export interface PmcSettings {
  ctlDays: number
  atlDays: number
}

export interface ReferencePmcDay {
  ctl: number
  atl: number
  tsb: number
  rampRate: number | null
  monotony: number | null
  strain: number | null
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0)

/**
 * loads[0] is the first activity day, the last element today; null is a day whose load is
 * unknown, which leaves CTL and ATL as they were.
 */
export function referencePmc (loads: Array<number | null>, { ctlDays, atlDays }: PmcSettings): ReferencePmcDay[] {
  const ctlLambda = 1 - Math.exp(-1 / ctlDays)
  const atlLambda = 1 - Math.exp(-1 / atlDays)
  const ctl: number[] = []
  const atl: number[] = []
  return loads.map((load, t) => {
    const ctlBefore = t === 0 ? 0 : ctl[t - 1]!
    const atlBefore = t === 0 ? 0 : atl[t - 1]!
    ctl.push(load === null ? ctlBefore : ctlBefore + ctlLambda * (load - ctlBefore))
    atl.push(load === null ? atlBefore : atlBefore + atlLambda * (load - atlBefore))
    const week = t >= 6 ? loads.slice(t - 6, t + 1) : []
    let monotony: number | null = null
    let strain: number | null = null
    if (week.length === 7 && week.every(value => value !== null)) {
      const known = week as number[]
      const mean = sum(known) / 7
      const deviation = Math.sqrt(sum(known.map(value => (value - mean) ** 2)) / 6)
      if (Math.min(...known) < Math.max(...known)) {
        monotony = mean / deviation
        strain = sum(known) * monotony
      }
    }
    return {
      ctl: ctl[t]!,
      atl: atl[t]!,
      tsb: t === 0 ? 0 : ctlBefore - atlBefore,
      rampRate: t >= 7 ? ctl[t]! - ctl[t - 7]! : null,
      monotony,
      strain
    }
  })
}
