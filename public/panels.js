/** Rendering of the dashboard's cards. Values are always set as text, never parsed as HTML. */

const element = (tag, text, className) => {
  const node = document.createElement(tag)
  if (text !== undefined) node.textContent = text
  if (className) node.className = className
  return node
}

function definitionList (pairs) {
  const list = element('dl')
  for (const [term, value] of pairs) list.append(element('dt', term), element('dd', value))
  return list
}

const ratio = value => value == null ? '–' : value.toFixed(2)
const number = (value, digits = 0) => value == null ? '–' : Number(value).toFixed(digits)
const percent = value => value == null ? '–' : `${Math.round(value * 100)} %`
const time = value => value ? new Date(value).toLocaleString() : 'never'

export function renderStatus (card, latest) {
  const body = card.querySelector('.body')
  if (!latest) {
    body.replaceChildren(element('p', 'No activities yet, so no ratio to show.', 'note'))
    return
  }
  body.replaceChildren(
    element('p', latest.zone, `zone zone-${latest.zone}`),
    definitionList([
      ['Day', latest.date],
      ['External ratio', ratio(latest.external.ratio)],
      ['Internal ratio', ratio(latest.internal.ratio)],
      ['Divergence', latest.divergence == null ? '–' : `${(latest.divergence * 100).toFixed(0)} %`],
      ['Acute / chronic (external)', `${number(latest.external.acute, 1)} / ${number(latest.external.chronic, 1)}`]
    ])
  )
}

export function describeModel (acwr) {
  const decay = acwr.model === 'decay' ? `, decay rate ${acwr.decayRate}` : ''
  return `Model ${acwr.model}: acute ${acwr.acuteDays} days, chronic ${acwr.chronicDays} days${decay}. Shaded: the 0.8–1.3 band.`
}

const settingFields = ['acwrModel', 'acuteDays', 'chronicDays', 'decayRate']
const profileFields = ['restingHr', 'maxHr', 'sex', 'timezone']

function currentValues (athlete) {
  return { ...athlete.settings, ...Object.fromEntries(profileFields.map(field => [field, athlete[field]])) }
}

export function renderSettings (form, athlete) {
  for (const [field, value] of Object.entries(currentValues(athlete))) form.elements[field].value = value ?? ''
}

/** The fields the form changes, typed as the API wants them; an emptied optional field is null. */
export function changedSettings (form, athlete) {
  const current = currentValues(athlete)
  const changes = {}
  for (const field of [...settingFields, ...profileFields]) {
    const input = form.elements[field]
    const raw = input.value.trim()
    const value = raw === '' ? null : input.type === 'number' ? Number(raw) : raw
    if (value !== (current[field] ?? null)) changes[field] = value
  }
  return changes
}

export function renderPool (card, status) {
  const { pool, queries, acwr } = status
  const meter = element('meter')
  Object.assign(meter, { min: 0, max: 1, low: 0.7, high: 0.9, optimum: 0.2, value: pool.utilization })
  card.querySelector('.body').replaceChildren(
    meter,
    definitionList([
      ['Utilization', percent(pool.utilization)],
      ['Connections', `${pool.total} open, ${pool.idle} idle, ${pool.max} max`],
      ['Waiting', String(pool.waiting)],
      ['Acquire wait p50 / p95 / max', `${number(pool.acquireWaitMs.p50, 1)} / ${number(pool.acquireWaitMs.p95, 1)} / ${number(pool.acquireWaitMs.max, 1)} ms`],
      ['Connections created / errors', `${pool.connectionsCreated} / ${pool.errors}`],
      ['Queries', `${queries.count}, avg ${number(queries.avgMs, 1)} ms, p95 ${number(queries.p95Ms, 1)} ms`],
      ['ACWR', `${acwr.athletes} athletes, ${acwr.athletesStale} not yet at today; last recompute ${time(acwr.lastRecalculatedAt)}`]
    ]),
    element('p', `Updated ${new Date().toLocaleTimeString()}`, 'note')
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

export function renderPanelError (card, message) {
  card.querySelector('.body').replaceChildren(element('p', message, 'error'))
}
