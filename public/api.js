/** Calls to the trainload API, with failures turned into sentences a person can act on. */

export class ApiError extends Error {
  constructor (status, message) {
    super(message)
    this.status = status
  }
}

const explanations = {
  400: detail => `That was not accepted: ${detail}`,
  401: () => 'The credential was not accepted. Sign in again.',
  403: detail => `This key is not allowed to do that: ${detail}`,
  404: detail => `Not found: ${detail}`,
  409: detail => `Conflict: ${detail}`,
  413: detail => `That is too large: ${detail}`,
  429: () => 'Too many requests; wait a moment and try again.',
  503: () => 'The service is busy or its database is unavailable; try again in a few seconds.'
}

export async function describeFailure (response) {
  let detail = response.statusText || 'the request failed'
  try {
    const body = await response.json()
    if (typeof body?.message === 'string') detail = body.message
  } catch {
    // A body that is not JSON (a proxy's error page, say) keeps the status text.
  }
  const explain = explanations[response.status]
  return explain ? explain(detail) : `The service could not answer (${response.status}).`
}

export async function apiRequest (path, { credential, method = 'GET', body } = {}) {
  const headers = { authorization: `Bearer ${credential}` }
  if (body !== undefined) headers['content-type'] = 'application/json'
  let response
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  } catch {
    throw new ApiError(0, 'Cannot reach trainload. Is it running?')
  }
  if (!response.ok) throw new ApiError(response.status, await describeFailure(response))
  return response.status === 204 ? null : response.json()
}
