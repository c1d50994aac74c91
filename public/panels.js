/** Rendering of the dashboard's cards. Values are always set as text, never parsed as HTML. */
import { fixed, formatDay, formatSoon, formatTimestamp, percent } from './format.js'
import { CAVEAT, describeBands, describeDivergence, ZONE_ADVICE, ZONE_MARKS, ZONE_TITLES } from './zones.js'

export const element = (tag, text, className) => {
  const node = document.createElement(tag)
  if (text !== undefined) node.textContent = text
  if (className) node.className = className
  return node
}

export function definitionList (pairs) {
  const list = element('dl')
  for (const [term, value] of pairs) list.append(element('dt', term), element('dd', value))
  return list
}

/** The zone the card shows: the reply's, or insufficient-data where the window is not yet full. */
export function effectiveZone (latest) {
  if (latest.zone === 'insufficient-data' || !latest.complete || latest.external.ratio == null) return 'insufficient-data'
  return latest.zone
}

function zoneBadge (zone) {
  const badge = element('p', undefined, `zone zone-${zone}`)
  badge.append(element('span', ZONE_MARKS[zone], 'mark'), ` ${ZONE_TITLES[zone]}`)
  badge.querySelector('.mark').setAttribute('aria-hidden', 'true')
  return badge
}

function bandList (bands, zone) {
  const list = element('ul', undefined, 'bands')
  list.setAttribute('aria-label', 'The zones for your model')
  for (const band of describeBands(bands)) {
    const item = element('li', undefined, `band band-${band.zone}`)
    item.append(element('span', ZONE_MARKS[band.zone], 'mark'), ` ${band.title}: ${band.range}`)
    item.querySelector('.mark').setAttribute('aria-hidden', 'true')
    if (band.zone === zone) {
      item.setAttribute('aria-current', 'true')
      item.append(element('strong', ' (you are here)'))
    }
    list.append(item)
  }
  return list
}

/**
 * `missingDays` is how many more days of history fill the chronic window, or null when the
 * window is full but holds no load.
 */
function insufficientText (missingDays) {
  if (missingDays == null) return 'Not enough data yet: there is no load in your chronic window, so there is no base to compare with.'
  return `Not enough data yet: ${missingDays} more ${missingDays === 1 ? 'day' : 'days'} of history until the chronic window is full.`
}

export function renderStatus (card, latest, { bands, timezone, missingDays }) {
  const body = card.querySelector('.body')
  if (!latest) {
    body.replaceChildren(element('p', 'No activities yet, so no ratio to show. Add or sync activities and the ratio appears here.', 'note'))
    return
  }
  const zone = effectiveZone(latest)
  const advice = ZONE_ADVICE[zone]
  const day = element('p', undefined, 'day')
  day.append(element('strong', formatDay(latest.date)), ` · your local day (${timezone})`)
  const nodes = [zoneBadge(zone), day]
  if (zone === 'insufficient-data') nodes.push(element('p', insufficientText(missingDays), 'insufficient'))
  else nodes.push(element('p', `Ratio ${fixed(latest.external.ratio, 2)}. ${advice.means}`, 'means'))
  nodes.push(
    element('p', advice.todo, 'todo'),
    bandList(bands, zone),
    definitionList([
      ['External ratio', fixed(latest.external.ratio, 2)],
      ['Internal ratio', fixed(latest.internal.ratio, 2)],
      ['Acute / chronic', `${fixed(latest.external.acute, 1)} / ${fixed(latest.external.chronic, 1)}`],
      ['Divergence', latest.divergence == null ? '–' : percent(latest.divergence)]
    ]),
    element('p', describeDivergence(latest.divergence), 'divergence'),
    element('p', CAVEAT, 'note caveat')
  )
  body.replaceChildren(...nodes)
}

const MODEL_NAMES = { rolling: 'rolling averages (coupled)', 'rolling-uncoupled': 'rolling averages, uncoupled', ewma: 'EWMA', decay: 'exponential decay' }

export function describeModel (acwr, bands, bandsFromModel) {
  const decay = acwr.model === 'decay' ? `, decay rate ${acwr.decayRate}` : ''
  const source = bandsFromModel ? 'this model\'s bands' : 'Gabbett\'s bands'
  return `Model: ${MODEL_NAMES[acwr.model] ?? acwr.model}, acute ${acwr.acuteDays} days, chronic ${acwr.chronicDays} days${decay}. ` +
    `Zones shaded with ${source}: ${bands.low} / ${bands.high} / ${bands.danger}. Hatched days: the chronic window is not yet full.`
}

export function renderPool (card, status) {
  const { pool, queries, acwr } = status
  const meter = element('meter')
  Object.assign(meter, { min: 0, max: 1, low: 0.7, high: 0.9, optimum: 0.2, value: pool.utilization })
  meter.setAttribute('aria-label', 'Pool utilization')
  card.querySelector('.body').replaceChildren(
    meter,
    definitionList([
      ['Utilization', percent(pool.utilization)],
      ['Connections', `${pool.total} open, ${pool.idle} idle, ${pool.max} max`],
      ['Waiting', String(pool.waiting)],
      ['Acquire wait (p50 / p95 / max)', `${fixed(pool.acquireWaitMs.p50, 1)} / ${fixed(pool.acquireWaitMs.p95, 1)} / ${fixed(pool.acquireWaitMs.max, 1)} ms`],
      ['Created / errors', `${pool.connectionsCreated} / ${pool.errors}`],
      ['Queries', `${queries.count}, avg ${fixed(queries.avgMs, 1)} ms, p95 ${fixed(queries.p95Ms, 1)} ms`],
      ['ACWR athletes', `${acwr.athletes}, ${acwr.athletesStale} not yet at today`],
      ['Last recompute', formatTimestamp(acwr.lastRecalculatedAt)]
    ]),
    element('p', `Updated ${formatTimestamp(new Date().toISOString())}`, 'note')
  )
}

export function renderTokens (card, { tokens }) {
  card.querySelector('.body').replaceChildren(definitionList([
    ['Athletes', String(tokens.total)],
    ['Healthy', String(tokens.healthy)],
    ['Expiring within the hour', String(tokens.expiringSoon)],
    ['Expired, refreshable', String(tokens.expired)],
    ['Invalid (re-authorize)', String(tokens.invalid)],
    ['No token', String(tokens.missing)]
  ]))
}

const FLEET_STATES = [
  ['idle', 'Idle'],
  ['queued', 'Queued'],
  ['running', 'Running'],
  ['deferred', 'Waiting for budget'],
  ['failed', 'Failed'],
  ['disconnected', 'Disconnected']
]

function budgetMeter (window, label) {
  const meter = element('meter')
  Object.assign(meter, { min: 0, max: window.limit, low: window.limit * 0.7, high: window.limit * 0.9, optimum: 0, value: window.used })
  meter.setAttribute('aria-label', label)
  return meter
}

/** Athletes by Strava sync state, and the read budget every instance shares. */
export function renderFleet (card, { athletes, budget }) {
  const { read15min, readDaily } = budget
  card.querySelector('.body').replaceChildren(
    definitionList(FLEET_STATES.map(([state, label]) => [label, String(athletes[state])])),
    element('h3', 'Strava reads'),
    budgetMeter(read15min, 'Strava reads used in this 15-minute window'),
    definitionList([['15 minutes', `${read15min.used} / ${read15min.limit} reads`], ['Resets', formatSoon(read15min.resetsAt)]]),
    budgetMeter(readDaily, 'Strava reads used today'),
    definitionList([['Today (UTC)', `${readDaily.used} / ${readDaily.limit} reads`], ['Resets', formatSoon(readDaily.resetsAt)]])
  )
}

export function renderPanelError (card, message) {
  card.querySelector('.body').replaceChildren(element('p', message, 'error'))
}
