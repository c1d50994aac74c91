import { apiRequest, ApiError } from './api.js'
import { createAcwrChart } from './chart.js'
import {
  changedSettings, describeModel, renderPanelError, renderPool, renderSettings, renderStatus, renderTokens
} from './panels.js'

const POOL_REFRESH_MS = 3000
const $ = selector => document.querySelector(selector)
const controls = $('#controls').elements
const chart = createAcwrChart($('#chart'))

/** The credential lives in this tab's sessionStorage only: gone when the tab closes. */
const session = {
  load: () => JSON.parse(sessionStorage.getItem('trainload.session') ?? 'null'),
  save: value => sessionStorage.setItem('trainload.session', JSON.stringify(value)),
  clear: () => sessionStorage.removeItem('trainload.session')
}

const state = { credential: null, isAdmin: false, athleteId: null, athlete: null, acwr: null, poll: null, nextCursor: null }
const api = (path, options) => apiRequest(path, { credential: state.credential, ...options })

function showMessage (selector, message) {
  const node = $(selector)
  node.textContent = message ?? ''
  node.hidden = !message
}

function isoDay (date) {
  return [date.getFullYear(), date.getMonth() + 1, date.getDate()].map(n => String(n).padStart(2, '0')).join('-')
}

function selectedRange () {
  const days = Number(controls.range.value)
  const to = new Date()
  // One day ahead covers athletes whose today is already tomorrow here; the API stops at their today.
  to.setDate(to.getDate() + 1)
  const from = new Date()
  from.setDate(from.getDate() - days + 1)
  return new URLSearchParams({ from: isoDay(from), to: isoDay(to) })
}

async function loadChart () {
  state.acwr = await api(`/api/athletes/${state.athleteId}/acwr?${selectedRange()}`)
  $('#model').textContent = describeModel(state.acwr)
  chart.render(state.acwr, controls.kind.value)
}

async function loadStatus () {
  const latest = await api(`/api/athletes/${state.athleteId}/acwr/latest`)
    .catch(err => { if (err.status === 404) return null; throw err })
  renderStatus($('#status'), latest)
}

async function showAthlete (athleteId) {
  state.athleteId = athleteId
  session.save({ credential: state.credential, athleteId })
  showMessage('#message')
  chart.clear()
  state.athlete = await api(`/api/athletes/${athleteId}`)
  $('#identity').textContent = state.isAdmin ? 'admin' : (state.athlete.name ?? `athlete ${athleteId}`)
  renderSettings($('#settings-form'), state.athlete)
  await Promise.all([loadChart(), loadStatus()])
}

async function loadAthletePage () {
  const query = new URLSearchParams({ limit: '100', ...(state.nextCursor ? { cursor: state.nextCursor } : {}) })
  const page = await api(`/admin/athletes?${query}`)
  for (const athlete of page.athletes) {
    const option = document.createElement('option')
    option.value = athlete.id
    option.textContent = `${athlete.name ?? 'unnamed'} (#${athlete.id})`
    controls.athlete.append(option)
  }
  state.nextCursor = page.nextCursor
  $('#more-athletes').hidden = !page.nextCursor
  return page.athletes
}

async function refreshOperations () {
  try {
    const status = await api('/admin/database-optimization-status')
    renderPool($('#pool'), status)
    renderTokens($('#tokens'), status)
  } catch (err) {
    renderPanelError($('#pool'), err.message)
    renderPanelError($('#tokens'), err.message)
  }
}

async function signIn ({ credential, athleteId }) {
  Object.assign(state, { credential, isAdmin: !credential.startsWith('tl_'), nextCursor: null })
  controls.athlete.replaceChildren()
  let firstAthlete = athleteId
  if (state.isAdmin) {
    const athletes = await loadAthletePage()
    firstAthlete ??= athletes[0]?.id
    if (firstAthlete === undefined) throw new ApiError(404, 'There are no athletes yet.')
  } else if (!athleteId) {
    throw new ApiError(400, 'Enter your athlete id along with your API key.')
  }
  controls.athlete.value = String(firstAthlete)
  for (const node of [$('#picker'), $('#pool'), $('#tokens')]) node.hidden = !state.isAdmin
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
  Object.assign(state, { credential: null, athlete: null, acwr: null, poll: null })
  $('#dashboard').hidden = true
  $('#sign-out').hidden = true
  $('#sign-in').hidden = false
  $('#identity').textContent = ''
  $('#sign-in-form').reset()
  showMessage('#sign-in .error', message)
}

/** Runs a user action; a rejected credential signs out, any other failure shows as a sentence. */
function guarded (action, where = '#message') {
  return async (...args) => {
    try {
      await action(...args)
    } catch (err) {
      if (err.status === 401 || !state.credential) signOut(err.message)
      else showMessage(where, err.message)
    }
  }
}

$('#sign-in-form').addEventListener('submit', guarded(async event => {
  event.preventDefault()
  const form = new FormData(event.target)
  const athleteId = form.get('athleteId') ? Number(form.get('athleteId')) : undefined
  showMessage('#sign-in .error')
  await signIn({ credential: String(form.get('credential')).trim(), athleteId })
}))

$('#settings-form').addEventListener('submit', guarded(async event => {
  event.preventDefault()
  const form = event.target
  const note = form.querySelector('.note')
  const changes = changedSettings(form, state.athlete)
  if (Object.keys(changes).length === 0) {
    note.textContent = 'Nothing changed.'
    return
  }
  note.textContent = 'Saving and recomputing…'
  state.athlete = await api(`/api/athletes/${state.athleteId}/settings`, { method: 'PATCH', body: changes })
    .finally(() => { note.textContent = '' })
  renderSettings(form, state.athlete)
  await Promise.all([loadChart(), loadStatus()])
  note.textContent = 'Saved; the chart shows the recomputed ratios.'
}))

controls.athlete.addEventListener('change', guarded(() => showAthlete(Number(controls.athlete.value))))
controls.range.addEventListener('change', guarded(loadChart))
for (const radio of controls.kind) radio.addEventListener('change', () => state.acwr && chart.render(state.acwr, controls.kind.value))
$('#more-athletes').addEventListener('click', guarded(loadAthletePage))
$('#sign-out').addEventListener('click', () => signOut())

const saved = session.load()
if (saved?.credential) guarded(signIn)(saved)
