import { pipeline, type Transform } from 'node:stream'
import { createBrotliDecompress, createGunzip } from 'node:zlib'
import { request, type Dispatcher } from 'undici'

// The service's calls to Strava (its API, its token endpoint, its webhook subscriptions) go
// through undici's `request` rather than `fetch`: a backfill is thousands of calls, and
// without fetch's web streams and Response objects a page of 200 activities costs this
// process about half the CPU (0.46-0.82 ms a call against 1.31-1.41 ms, measured on the
// fake), CPU the writes beside the calls then have.

/** An answer: its status, its headers (names lower-cased) and its body, to be read or dumped once. */
export type HttpAnswer = Dispatcher.ResponseData

export interface HttpCall {
  method?: Dispatcher.HttpMethod
  headers?: Record<string, string>
  /** Sent as `application/x-www-form-urlencoded`. */
  form?: URLSearchParams
  /** For the whole call, answer and body: past it the call rejects with a `TimeoutError`. */
  timeoutMs: number
}

/**
 * Strava compresses an answer when asked, and a page of 200 activities is mostly field names
 * that repeat: asked for gzip or Brotli, it crosses in a fraction of its bytes. An answer is
 * unpacked as it arrives, and read to at most MAX_ANSWER_BYTES, so one runaway answer cannot
 * fill the process's memory.
 */
const ACCEPTED_ENCODINGS = 'gzip, br'
const MAX_ANSWER_BYTES = 32 * 1024 * 1024

/** The unpacker of each encoding in ACCEPTED_ENCODINGS. */
const unpackers: Record<string, () => Transform> = { gzip: createGunzip, br: createBrotliDecompress }

/** Sends one call, asking for a packed JSON answer; rejects with a `TimeoutError` past `timeoutMs`, or a network error. */
export function send (url: URL | string, { method = 'GET', headers = {}, form, timeoutMs }: HttpCall): Promise<HttpAnswer> {
  return request(url, {
    method,
    headers: {
      accept: 'application/json',
      'accept-encoding': ACCEPTED_ENCODINGS,
      ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      ...headers
    },
    body: form?.toString(),
    signal: AbortSignal.timeout(timeoutMs)
  })
}

export const succeeded = (answer: HttpAnswer) => answer.statusCode >= 200 && answer.statusCode < 300

/** An answer's body as text, unpacked as its `content-encoding` says; throws, with a reason, when it is too long or cannot be unpacked. */
export async function readText (answer: HttpAnswer): Promise<string> {
  const encoding = String(answer.headers['content-encoding'] ?? 'identity').trim().toLowerCase()
  const unpack = encoding === 'identity' ? undefined : unpackers[encoding]
  if (encoding !== 'identity' && !unpack) {
    await answer.body.dump()
    throw new Error(`it is in a content-encoding not asked for (${encoding.slice(0, 40)})`)
  }
  const body = unpack ? pipeline(answer.body, unpack(), () => {}) : answer.body
  const chunks: Buffer[] = []
  let length = 0
  for await (const chunk of body) {
    length += (chunk as Buffer).length
    // Leaving the loop destroys the body, and the pipeline the answer under it.
    if (length > MAX_ANSWER_BYTES) throw new Error(`it is longer than ${MAX_ANSWER_BYTES / 1024 / 1024} MiB`)
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks, length).toString('utf8')
}

/** The JSON in `text`, or undefined when it holds none. */
export function parsedOrUndefined<T> (text: string): T | undefined {
  try {
    return JSON.parse(text) as T
  } catch {
    return undefined
  }
}

/** An answer's JSON body, or undefined when it cannot be read or is not JSON. */
export async function readJson (answer: HttpAnswer): Promise<unknown> {
  return readText(answer).then(parsedOrUndefined, () => undefined)
}
