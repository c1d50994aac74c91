import { apiRequest, ApiError } from './api.js'
import { createActivityList } from './activities.js'
import { createAcwrChart } from './chart.js'
import { createImportCard } from './import.js'
import { createPmcChart, describeForm } from './pmc-chart.js'
import { localDay } from './format.js'
import { describeModel, renderFleet, renderPanelError, renderPool, renderStatus, renderTokens } from './panels.js'
import { session } from './session.js'
import { createStravaCard } from './strava.js'
import { changedSettings, renderSettings, showModelFields, validateSettings, watchSettings } from './settings.js'
import { bandsOf } from './zones.js'

const POOL_REFRESH_MS = 3000
const $ = selector => document.querySelector(selector)
const controls = $('#controls').elements
const chart = createAcwrChart($('#chart'))
const pmcChart = createPmcChart($('#pmc-chart'))

const state = {
  credential: null,
  isAdmin: false,
  athleteId: null,
  athlete: null,
  acwr: null,
  latest: null,
  pmc: null,
  poll: null,
  athletes: [],
  nextCursor: null,
  stravaLogin: false
}
const api = (path, options) => apiRequest(path, { credential: state.credential, ...options })

function showMessage (selector, message) {
  const node = $(selector)
  node.textContent = message ?? ''
  node.hidden = !message
}

/**
 * Runs a user action. A rejected credential signs out; any other failure shows as a sentence
 * in `where`, and the next action that succeeds clears it.
 */
function guarded (action, where = '#message') {
  return async (...args) => {
    try {
      await action(...args)
      showMessage(where)
    } catch (err) {
      if (err.status === 401 || !state.credential) signOut(err.message)
      else showMessage(where, err.message)
    }
  }
}

const activities = createActivityList($('#activities'), {
  api,
  run: action => guarded(action),
  dialog: $('#confirm'),
  onChange: () => loadAcwr()
})

/** Everything that shows activities, after activities arrived or left. */
const reloadActivities = () => Promise.all([loadAcwr(), activities.load(state.athleteId)])

const strava = createStravaCard($('#strava'), {
  api,
  run: action => guarded(action, '#strava .error'),
  dialog: $('#confirm'),
  canConnect: () => ({ login: state.stravaLogin, athlete: !state.isAdmin }),
  onActivitiesChanged: reloadActivities
})

/**
 * Whether this service can log in with Strava, from the public /health (its 503 reply says so
 * too): the sign-in card and the Strava card offer the login only where it can work.
 */
async function loadStravaLogin () {
  try {
    const health = await (await fetch('/health')).json()
    state.stravaLogin = health.stravaLogin === true
  } catch {
    state.stravaLogin = false
  }
  $('#strava-login').hidden = !state.stravaLogin
  $('#sign-in').dataset.stravaLogin = state.stravaLogin ? 'on' : 'off'
}
const stravaLoginKnown = loadStravaLogin()

const importCard = createImportCard($('#import'), {
  credential: () => state.credential,
  athleteId: () => state.athleteId,
  onImported: guarded(reloadActivities)
})

function selectedRange () {
  const days = Number(controls.range.value)
  // One day ahead covers athletes whose today is already tomorrow here; the API stops at their today.
  return new URLSearchParams({ from: localDay(1 - days), to: localDay(1) })
}

/** Days of history still needed before the chronic window is full, or null when it is full. */
function missingDays () {
  const days = state.acwr?.days ?? []
  if (days.at(-1)?.complete) return null
  return Math.max(1, state.acwr.chronicDays - days.length)
}

function drawStatus () {
  renderStatus($('#status'), state.latest, { bands: bandsOf(state.latest), timezone: state.athlete.timezone, missingDays: missingDays() })
}

function drawCharts () {
  const bands = bandsOf(state.latest)
  const kind = controls.kind.value
  $('#model').textContent = describeModel(state.acwr, bands, Boolean(state.latest?.bands))
  chart.render(state.acwr, kind, bands)
  pmcChart.render(state.pmc, kind)
  $('#pmc .pmc-today').textContent = describeForm(state.pmc, kind)
}

async function fetchLatest () {
  return api(`/api/athletes/${state.athleteId}/acwr/latest`).catch(err => { if (err.status === 404) return null; throw err })
}

/** The charts and today's card, drawn together once every reply is in, so they agree on the bands and the days. */
async function loadAcwr () {
  const range = selectedRange()
  const [acwr, latest, pmc] = await Promise.all([
    api(`/api/athletes/${state.athleteId}/acwr?${range}`),
    fetchLatest(),
    api(`/api/athletes/${state.athleteId}/pmc?${range}`)
  ])
  Object.assign(state, { acwr, latest, pmc })
  drawCharts()
  drawStatus()
}

async function showAthlete (athleteId) {
  Object.assign(state, { athleteId, acwr: null, latest: null, pmc: null })
  session.save({ credential: state.credential, athleteId })
  chart.clear()
  pmcChart.clear()
  state.athlete = await api(`/api/athletes/${athleteId}`)
  $('#identity').textContent = state.isAdmin
    ? `admin · viewing ${state.athlete.name ?? `athlete ${athleteId}`}`
    : (state.athlete.name ?? `athlete ${athleteId}`)
  renderSettings($('#settings-form'), state.athlete)
  showMessage('#settings .form-error')
  $('#settings .saved').textContent = ''
  importCard.reset()
  // A Strava card that cannot load says so on the card; the charts still show.
  await Promise.all([loadAcwr(), activities.load(athleteId), guarded(() => strava.load(athleteId), '#strava .error')()])
}

function athleteLabel (athlete) {
  return `${athlete.name ?? 'unnamed'} (#${athlete.id})`
}

/** The picker's options: the athletes loaded so far that match the search, and always the one shown. */
function fillPicker () {
  const term = controls.athleteSearch.value.trim().toLowerCase()
  const matches = state.athletes.filter(athlete => !term || athleteLabel(athlete).toLowerCase().includes(term))
  const shown = state.athletes.find(athlete => athlete.id === state.athleteId)
  const options = shown && !matches.includes(shown) ? [shown, ...matches] : matches
  controls.athlete.replaceChildren(...options.map(athlete => {
    const option = document.createElement('option')
    option.value = String(athlete.id)
    option.textContent = athleteLabel(athlete)
    return option
  }))
  if (state.athleteId) controls.athlete.value = String(state.athleteId)
  const more = state.nextCursor ? ', more to load' : ''
  $('#picker-count').textContent = term ? `${matches.length} of ${state.athletes.length} loaded match${more}` : `${state.athletes.length} athletes${more}`
  return matches
}

async function loadAthletePage () {
  const query = new URLSearchParams({ limit: '100', ...(state.nextCursor ? { cursor: state.nextCursor } : {}) })
  const page = await api(`/admin/athletes?${query}`)
  state.athletes.push(...page.athletes)
  state.nextCursor = page.nextCursor
  $('#more-athletes').hidden = !page.nextCursor
  fillPicker()
  return page.athletes
}

/** A search that matches nothing loaded yet pages on until it does, or the list ends. */
async function searchAthletes () {
  let matches = fillPicker()
  while (matches.length === 0 && state.nextCursor) {
    await loadAthletePage()
    matches = fillPicker()
  }
}

async function refreshOperations () {
  const [database, fleet] = await Promise.allSettled([api('/admin/database-optimization-status'), api('/admin/strava/sync-status')])
  if (database.status === 'fulfilled') {
    renderPool($('#pool'), database.value)
    renderTokens($('#tokens'), database.value)
  } else {
    renderPanelError($('#pool'), database.reason.message)
    renderPanelError($('#tokens'), database.reason.message)
  }
  if (fleet.status === 'fulfilled') renderFleet($('#fleet'), fleet.value)
  else renderPanelError($('#fleet'), fleet.reason.message)
}

/** Who the credential belongs to, from /api/me; null where the service predates that route. */
async function whoAmI () {
  try {
    return await api('/api/me')
  } catch (err) {
    if (err.status === 404) return null
    throw err
  }
}

async function signIn ({ credential, athleteId }) {
  Object.assign(state, { credential, athletes: [], nextCursor: null })
  const me = await whoAmI()
  state.isAdmin = me ? me.kind === 'admin' : !credential.startsWith('tl_')
  let firstAthlete = me?.athleteId ?? athleteId
  if (state.isAdmin) {
    const athletes = await loadAthletePage()
    firstAthlete ??= athletes[0]?.id
    if (firstAthlete === undefined) throw new ApiError(404, 'There are no athletes yet.')
  } else if (!firstAthlete) {
    throw new ApiError(400, 'Enter your athlete id along with your API key.')
  }
  for (const node of [$('#picker'), $('#pool'), $('#tokens'), $('#fleet')]) node.hidden = !state.isAdmin
  await stravaLoginKnown
  $('#sign-in').hidden = true
  $('#dashboard').hidden = false
  $('#sign-out').hidden = false
  if (state.isAdmin) {
    refreshOperations()
    state.poll = setInterval(refreshOperations, POOL_REFRESH_MS)
  }
  await showAthlete(Number(firstAthlete))
}

function signOut (message) {
  clearInterval(state.poll)
  session.clear()
  chart.clear()
  pmcChart.clear()
  // Nothing of the previous person's stays on the page.
  for (const node of [$('#status .body'), $('#pmc .pmc-today'), $('#activities ol'), $('#pool .body'), $('#tokens .body'), $('#fleet .body')]) node.replaceChildren()
  $('#fleet .queued').textContent = ''
  Object.assign(state, { credential: null, athlete: null, acwr: null, latest: null, pmc: null, poll: null, athletes: [], athleteId: null })
  importCard.reset()
  strava.reset()
  $('#dashboard').hidden = true
  $('#sign-out').hidden = true
  $('#sign-in').hidden = false
  $('#identity').textContent = ''
  $('#sign-in-form').reset()
  controls.athleteSearch.value = ''
  showMessage('#message')
  showMessage('#sign-in .error', message)
  if (message) $('#sign-in-form input[name=credential]').focus()
}

/** Sign-in failures stay on the sign-in card, where the person is looking. */
async function signInOrExplain (attempt) {
  try {
    await signIn(attempt)
    showMessage('#sign-in .error')
  } catch (err) {
    signOut(err.message)
  }
}

$('#sign-in-form').addEventListener('submit', event => {
  event.preventDefault()
  const form = new FormData(event.target)
  const athleteId = form.get('athleteId') ? Number(form.get('athleteId')) : undefined
  signInOrExplain({ credential: String(form.get('credential')).trim(), athleteId })
})

const settingsForm = $('#settings-form')
watchSettings(settingsForm, model => showModelFields(settingsForm, model))
settingsForm.addEventListener('submit', guarded(async event => {
  event.preventDefault()
  const note = settingsForm.querySelector('.saved')
  note.textContent = ''
  const invalid = validateSettings(settingsForm)
  if (invalid) {
    invalid.focus()
    throw new ApiError(400, 'Some settings need fixing; see the messages under the fields.')
  }
  const changes = changedSettings(settingsForm, state.athlete)
  if (Object.keys(changes).length === 0) {
    note.textContent = 'Nothing changed.'
    return
  }
  note.textContent = 'Saving and recomputing…'
  state.athlete = await api(`/api/athletes/${state.athleteId}/settings`, { method: 'PATCH', body: changes })
    .finally(() => { note.textContent = '' })
  renderSettings(settingsForm, state.athlete)
  await loadAcwr()
  note.textContent = 'Saved; the charts show the recomputed values.'
}, '#settings .form-error'))

controls.athlete.addEventListener('change', guarded(() => showAthlete(Number(controls.athlete.value))))
controls.athleteSearch.addEventListener('input', guarded(searchAthletes))
controls.range.addEventListener('change', guarded(loadAcwr))
for (const radio of controls.kind) radio.addEventListener('change', () => state.acwr && drawCharts())
$('#more-athletes').addEventListener('click', guarded(loadAthletePage))
$('#fleet .sync-all').addEventListener('click', guarded(async () => {
  const { queued } = await api('/admin/strava/sync', { method: 'POST' })
  $('#fleet .queued').textContent = `Queued ${queued === 1 ? '1 athlete' : `${queued} athletes`} with a usable Strava token.`
  await refreshOperations()
}))
$('#sign-out').addEventListener('click', () => signOut())

const saved = session.load()
if (saved?.credential) signInOrExplain(saved)
