/** The athlete's Strava card: connection, sync progress, Sync now, and Disconnect behind a confirmation. */
import { confirmAction } from './confirm.js'
import { formatTimestamp } from './format.js'
import { definitionList, element } from './panels.js'

// While a sync is queued or running the card asks again this often; idle, failed and
// disconnected stop it, and a deferred sync is asked again when its wait ends.
export const SYNC_POLL_MS = 2000

const STATE_WORDS = {
  idle: 'Up to date',
  queued: 'Waiting to start',
  running: 'Syncing now',
  deferred: 'Paused for Strava\'s rate limit',
  failed: 'Failed; it is retried automatically',
  disconnected: 'Not syncing'
}

const activities = count => count === 1 ? '1 activity' : `${count} activities`

/**
 * Connected while Strava may be read. `disconnected` with an error is a grant Strava stopped
 * accepting (the athlete must log in again); without one, there is no grant: never connected,
 * or disconnected on purpose.
 */
export function connectionOf (status) {
  if (status.state !== 'disconnected') return 'connected'
  return status.lastError ? 'expired' : 'none'
}

const CONNECTION_TEXT = {
  connected: 'Connected to Strava',
  none: 'Not connected to Strava',
  expired: 'Disconnected: Strava no longer accepts trainload\'s access. Log in with Strava again to resume syncing.'
}

const CONNECT_INVITATION = 'Connect to sync your activities from Strava: your whole history first, then each new activity.'

function progressPairs (status) {
  const pairs = [
    ['Sync', STATE_WORDS[status.state] ?? status.state],
    ['From Strava', activities(status.activitiesSynced)],
    ['History', status.backfillComplete ? 'complete' : 'still being fetched, newest first'],
    ['Last synced', formatTimestamp(status.lastSyncedAt)]
  ]
  if (status.state === 'deferred') pairs.push(['Resumes', formatTimestamp(status.nextAttemptAt)])
  if (status.state === 'failed' && status.lastError) pairs.push(['Last error', status.lastError])
  return pairs
}

function disconnectMessage (status) {
  return `trainload tells Strava to revoke its access, then deletes your Strava tokens and every activity that came from Strava (${activities(status.activitiesSynced)}), ` +
    'and recomputes your ratios and charts without them. Activities pushed through the API or imported from your Strava export stay. ' +
    'You can connect again later; the history is then synced anew.'
}

/**
 * `api` is the dashboard's request function, `run` wraps an action so its failure shows on
 * the card, `canConnect` says whether this service has a Strava application and whether the
 * person may log in with it (an athlete, not an admin), `onActivitiesChanged` redraws the
 * charts and the list.
 */
export function createStravaCard (card, { api, run, dialog, canConnect, onActivitiesChanged }) {
  const body = card.querySelector('.body')
  const connect = card.querySelector('.connect')
  const syncNow = card.querySelector('.sync-now')
  const disconnect = card.querySelector('.disconnect')
  const unavailable = card.querySelector('.unavailable')
  let athleteId = null
  let status = null
  let timer = null

  function stopPolling () {
    clearTimeout(timer)
    timer = null
    card.dataset.polling = 'false'
  }

  /** Asks again while the sync is under way; a failed ask (the service busy, say) is retried. */
  function schedule () {
    stopPolling()
    if (!['queued', 'running', 'deferred'].includes(status.state)) return
    const waitMs = status.state === 'deferred' ? Math.max(SYNC_POLL_MS, Date.parse(status.nextAttemptAt) - Date.now()) : SYNC_POLL_MS
    card.dataset.polling = 'true'
    timer = setTimeout(async () => {
      timer = null
      await run(refresh)()
      if (timer === null && card.dataset.polling === 'true') schedule()
    }, waitMs)
  }

  function render () {
    const connection = connectionOf(status)
    const { login, athlete } = canConnect()
    card.querySelector('.connection').textContent = CONNECTION_TEXT[connection]
    if (connection !== 'none') body.replaceChildren(definitionList(progressPairs(status)))
    else if (!login) body.replaceChildren()
    else body.replaceChildren(element('p', athlete ? CONNECT_INVITATION : 'The athlete connects from the sign-in page, with their Strava account.', 'note'))
    unavailable.hidden = login
    connect.hidden = !(login && athlete && connection !== 'connected')
    syncNow.hidden = !(login && connection === 'connected')
    disconnect.hidden = connection === 'none'
    card.dataset.state = status.state
    card.dataset.connection = connection
  }

  /** Reads the state again; the charts and list follow when Strava activities arrived or a sync ended. */
  async function refresh () {
    const id = athleteId
    const previous = status
    const next = await api(`/api/athletes/${id}/strava/sync`)
    // The person may have switched athlete while this was asked.
    if (id !== athleteId) return
    status = next
    render()
    const ended = previous && ['queued', 'running'].includes(previous.state) && !['queued', 'running'].includes(status.state)
    if (previous && (previous.activitiesSynced !== status.activitiesSynced || ended)) await onActivitiesChanged()
    schedule()
  }

  syncNow.addEventListener('click', run(async () => {
    syncNow.disabled = true
    try {
      const queued = await api(`/api/athletes/${athleteId}/strava/sync`, { method: 'POST' })
      status = { ...status, state: queued.state }
      render()
      schedule()
    } finally {
      syncNow.disabled = false
    }
  }))

  disconnect.addEventListener('click', run(async () => {
    const confirmed = await confirmAction(dialog, { title: 'Disconnect Strava?', message: disconnectMessage(status), confirm: 'Disconnect and delete' })
    if (!confirmed) return
    stopPolling()
    await api(`/api/athletes/${athleteId}/strava`, { method: 'DELETE' })
    status = await api(`/api/athletes/${athleteId}/strava/sync`)
    render()
    await onActivitiesChanged()
  }))

  return {
    async load (id) {
      stopPolling()
      athleteId = id
      status = null
      await refresh()
    },
    reset () {
      stopPolling()
      athleteId = null
      status = null
      body.replaceChildren()
      delete card.dataset.state
    }
  }
}
