/** The Strava export upload: the archive (or its activities.csv) sent with a progress bar, then what was imported. */
/* global XMLHttpRequest */
import { ApiError, describeFailure } from './api.js'
import { element } from './panels.js'

// The route takes the archive as a zip or its activities.csv alone; the type is told from the
// file's name, since browsers report a zip's type differently (application/x-zip-compressed).
const CONTENT_TYPES = { zip: 'application/zip', csv: 'text/csv' }
// A long skipped list is summarised: the reply keeps every row, the card shows the first few.
const SKIPPED_SHOWN = 10

function contentTypeOf (file) {
  const extension = file.name.split('.').pop()?.toLowerCase()
  return CONTENT_TYPES[extension]
}

/**
 * Sends `file` with XMLHttpRequest rather than fetch: only XHR reports upload progress, which
 * is what a person watching a several-hundred-megabyte archive needs to see.
 */
function upload (url, file, { credential, onProgress }) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest()
    request.open('POST', url)
    request.setRequestHeader('authorization', `Bearer ${credential}`)
    request.setRequestHeader('content-type', contentTypeOf(file))
    request.responseType = 'text'
    request.upload.addEventListener('progress', event => onProgress(event.loaded, event.lengthComputable ? event.total : file.size))
    request.upload.addEventListener('load', () => onProgress(file.size, file.size))
    request.addEventListener('error', () => reject(new ApiError(0, 'Cannot reach trainload. Is it running?')))
    request.addEventListener('load', async () => {
      const response = new Response(request.responseText, { status: request.status, statusText: request.statusText })
      if (response.ok) resolve(await response.json())
      else reject(new ApiError(request.status, await describeFailure(response)))
    })
    request.send(file)
  })
}

const activities = count => count === 1 ? '1 activity' : `${count} activities`

function renderSummary (node, reply) {
  const { imported, updated, unchanged, skipped } = reply
  node.replaceChildren(element('p', `${activities(imported)} new, ${updated} updated, ${unchanged} unchanged, ${skipped.length} skipped.`, 'import-counts'))
  if (skipped.length === 0) return
  const list = element('ul', undefined, 'skipped')
  for (const row of skipped.slice(0, SKIPPED_SHOWN)) {
    const id = row.activityId == null ? '' : ` (activity ${row.activityId})`
    list.append(element('li', `Row ${row.row}${id}: ${row.reason}`))
  }
  node.append(list)
  if (skipped.length > SKIPPED_SHOWN) node.append(element('p', `…and ${skipped.length - SKIPPED_SHOWN} more skipped rows.`, 'note'))
}

/**
 * `credential` and `athleteId` are read at upload time (the person may have switched athlete);
 * `onImported` runs after a successful import (the charts and the list follow).
 */
export function createImportCard (card, { credential, athleteId, onImported }) {
  const form = card.querySelector('form')
  const input = form.elements.archive
  const button = form.querySelector('button[type=submit]')
  const progress = card.querySelector('progress')
  const status = card.querySelector('.import-status')
  const error = card.querySelector('.error')
  const summary = card.querySelector('.import-summary')

  function showError (message) {
    error.textContent = message ?? ''
    error.hidden = !message
  }

  function showProgress (sent, total) {
    progress.max = total
    progress.value = sent
    status.textContent = sent < total
      ? `Uploading: ${Math.floor((100 * sent) / total)}% of ${(total / 1e6).toFixed(1)} MB`
      : 'Uploaded; reading the activities and recomputing your ratios…'
  }

  input.addEventListener('change', () => showError())

  form.addEventListener('submit', async event => {
    event.preventDefault()
    const file = input.files[0]
    summary.replaceChildren()
    if (!file) return showError('Choose your Strava export (.zip) or its activities.csv first.')
    if (!contentTypeOf(file)) return showError(`${file.name} is neither a .zip archive nor a .csv file: choose the export Strava sent you, or the activities.csv inside it.`)
    showError()
    button.disabled = true
    progress.hidden = false
    card.dataset.state = 'uploading'
    let reply
    try {
      reply = await upload(`/api/athletes/${athleteId()}/imports`, file, { credential: credential(), onProgress: showProgress })
    } catch (err) {
      status.textContent = ''
      showError(err.message)
    } finally {
      button.disabled = false
      progress.hidden = true
    }
    // The state changes last, once the card is drawn as it stays: a test waits for it.
    if (!reply) {
      card.dataset.state = 'failed'
      return
    }
    status.textContent = 'Done.'
    renderSummary(summary, reply)
    form.reset()
    await onImported()
    card.dataset.state = 'done'
  })

  return {
    reset () {
      form.reset()
      showError()
      summary.replaceChildren()
      status.textContent = ''
      delete card.dataset.state
    }
  }
}
