/** The paged activity list, newest first, with delete behind a confirmation. */
import { confirmAction } from './confirm.js'
import { fixed, formatDay, formatDistance, formatDuration } from './format.js'
import { element } from './panels.js'

export const PAGE_SIZE = 20
const SOURCES = { strava: 'Strava', import: 'Import', api: 'API' }

function activityItem (activity, onDelete) {
  const item = element('li', undefined, 'activity')
  item.dataset.activityId = String(activity.id)
  const title = element('p', undefined, 'activity-title')
  title.append(element('strong', activity.name || activity.sportType), ` · ${activity.sportType} · ${formatDay(activity.day)}`)
  const facts = element('p', [
    formatDuration(activity.movingTimeS),
    formatDistance(activity.distanceM),
    `load ${fixed(activity.externalLoad, 1)}`,
    `TRIMP ${activity.trimp == null ? 'unknown' : fixed(activity.trimp, 0)}`,
    SOURCES[activity.source] ?? activity.source
  ].join(' · '), 'activity-facts')
  const remove = element('button', 'Delete', 'secondary')
  remove.type = 'button'
  remove.setAttribute('aria-label', `Delete ${activity.name || activity.sportType} of ${formatDay(activity.day)}`)
  remove.addEventListener('click', () => onDelete(activity))
  const text = element('div')
  text.append(title, facts)
  item.append(text, remove)
  return item
}

/**
 * `api` is the dashboard's request function, `run` wraps an action so its failure shows in the
 * page's banner, `onChange` runs after a delete (the charts follow).
 */
export function createActivityList (card, { api, run, dialog, onChange }) {
  const list = card.querySelector('ol')
  const position = card.querySelector('.position')
  const older = card.querySelector('.older')
  const newer = card.querySelector('.newer')
  let athleteId = null
  // cursors[i] opens page i; the first page has none.
  let cursors = [null]
  let page = 0
  let nextCursor = null

  async function show (index) {
    const query = new URLSearchParams({ limit: String(PAGE_SIZE) })
    if (cursors[index]) query.set('cursor', cursors[index])
    const reply = await api(`/api/athletes/${athleteId}/activities?${query}`)
    page = index
    nextCursor = reply.nextCursor
    cursors[index + 1] = nextCursor
    list.replaceChildren(...reply.activities.map(activity => activityItem(activity, run(remove))))
    if (reply.activities.length === 0) list.append(element('li', page === 0 ? 'No activities yet.' : 'No more activities.', 'note'))
    const first = page * PAGE_SIZE + 1
    position.textContent = reply.activities.length ? `Activities ${first}–${first + reply.activities.length - 1}, newest first` : ''
    older.disabled = !nextCursor
    newer.disabled = page === 0
    card.dataset.page = String(page)
  }

  async function remove (activity) {
    const confirmed = await confirmAction(dialog, {
      title: 'Delete this activity?',
      message: `${activity.name || activity.sportType} on ${formatDay(activity.day)} will be deleted, and its load taken out of your ratios and charts. This cannot be undone.`,
      confirm: 'Delete activity'
    })
    if (!confirmed) return
    await api(`/api/athletes/${athleteId}/activities/${activity.id}`, { method: 'DELETE' })
    await show(page)
    await onChange()
  }

  older.addEventListener('click', run(() => show(page + 1)))
  newer.addEventListener('click', run(() => show(page - 1)))

  return {
    load (id) {
      athleteId = id
      cursors = [null]
      return show(0)
    }
  }
}
