import { randomUUID } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { Transform, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { httpErrors } from '@fastify/sensible'

const tooLarge = (maxBytes: number) => httpErrors.payloadTooLarge(`the upload is larger than the ${maxBytes} bytes IMPORT_MAX_BYTES allows`)

/**
 * Streams an upload to a file of its own under `dir` (mode 0600: an export holds the
 * athlete's whole history), never holding it in memory, and stops at `maxBytes` with a 413.
 * Resolves to the file's path; the caller removes it with removeSpoolFile.
 */
export async function spoolUpload (body: Readable, dir: string, maxBytes: number): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const path = join(dir, `${randomUUID()}.upload`)
  let received = 0
  const limit = new Transform({
    transform (chunk: Buffer, _encoding, done) {
      received += chunk.length
      done(received > maxBytes ? tooLarge(maxBytes) : null, chunk)
    }
  })
  try {
    await pipeline(body, limit, createWriteStream(path, { flags: 'wx', mode: 0o600 }))
  } catch (err) {
    await removeSpoolFile(path)
    if ((err as { statusCode?: number }).statusCode === 413) throw err
    throw httpErrors.badRequest(`the upload did not arrive whole (${(err as Error).message})`)
  }
  return path
}

export async function removeSpoolFile (path: string): Promise<void> {
  await rm(path, { force: true })
}

export { tooLarge as uploadTooLarge }
