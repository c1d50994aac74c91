/**
 * What each ACWR zone means and what to do about it. The thresholds come from the reply's
 * `bands` (the athlete's model); without them, Gabbett's rolling-average bands apply:
 * below 0.8 low, to 1.3 optimal, to 1.5 high, above danger (Gabbett, "The training-injury
 * prevention paradox", Br J Sports Med 2016; doi:10.1136/bjsports-2015-095788).
 */

export const GABBETT_BANDS = { low: 0.8, high: 1.3, danger: 1.5 }

export const ZONES = ['low', 'optimal', 'high', 'danger']

export const bandsOf = reply => reply?.bands ?? GABBETT_BANDS

/** Each zone's ratio range as [from, to], to = null meaning open-ended. */
export function zoneRanges (bands) {
  return {
    low: [0, bands.low],
    optimal: [bands.low, bands.high],
    high: [bands.high, bands.danger],
    danger: [bands.danger, null]
  }
}

export function zoneOf (ratio, bands) {
  if (ratio == null) return 'insufficient-data'
  if (ratio < bands.low) return 'low'
  if (ratio <= bands.high) return 'optimal'
  if (ratio <= bands.danger) return 'high'
  return 'danger'
}

/** A symbol per zone, so the zone is told by shape and word as well as by colour. */
export const ZONE_MARKS = { 'insufficient-data': '…', low: '▼', optimal: '●', high: '▲', danger: '▲▲' }

export const ZONE_TITLES = {
  'insufficient-data': 'Not enough data yet',
  low: 'Low',
  optimal: 'Optimal',
  high: 'High',
  danger: 'Danger'
}

export const ZONE_ADVICE = {
  'insufficient-data': {
    means: 'The chronic window is not yet full, so there is no base to compare this week with.',
    todo: 'Keep logging your training; the ratio appears once the window is complete.'
  },
  low: {
    means: 'This week\'s load is well below what you have been used to: fitness built earlier may start to fade.',
    todo: 'Fine for a planned rest or taper. Otherwise, build back up gradually rather than in one jump.'
  },
  optimal: {
    means: 'This week\'s load matches the base you have built: the range with the lowest observed injury rates.',
    todo: 'Carry on, and progress steadily, a little each week.'
  },
  high: {
    means: 'This week\'s load is climbing faster than your base.',
    todo: 'Hold the load at this level for a few days before adding more, and watch how you recover.'
  },
  danger: {
    means: 'This week\'s load is far above your base: the kind of spike most associated with injury.',
    todo: 'Ease off for a few days, swap hard sessions for easy ones, and rebuild gradually.'
  }
}

export const CAVEAT = 'ACWR is a guide, not a prediction: it compares this week with your recent base, and says nothing certain about injury. Listen to your body too.'

const rangeText = ([from, to]) => to == null ? `above ${from.toFixed(2)}` : from === 0 ? `below ${to.toFixed(2)}` : `${from.toFixed(2)}–${to.toFixed(2)}`

export function describeBands (bands) {
  const ranges = zoneRanges(bands)
  return ZONES.map(zone => ({ zone, title: ZONE_TITLES[zone], range: rangeText(ranges[zone]) }))
}

/**
 * A sentence on the gap between the external (distance) and internal (heart-rate) ratios.
 * divergence = (external − internal) / their mean.
 */
export function describeDivergence (divergence) {
  if (divergence == null) return 'The external and internal ratios cannot be compared: one of them is not known.'
  const size = Math.abs(divergence)
  if (size < 0.1) return 'The external (distance) and internal (heart-rate) ratios agree: your body is taking the load as the numbers suggest.'
  const pct = `${Math.round(size * 100)} %`
  return divergence > 0
    ? `The external ratio is ${pct} above the internal one: your heart rate rose less than the distance, so you are absorbing the extra load well.`
    : `The internal ratio is ${pct} above the external one: your heart rate rose more than the distance, a sign of fatigue, heat or illness worth watching.`
}
