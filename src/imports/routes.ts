import { join } from 'node:path'
import type { Readable } from 'node:stream'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { httpErrors } from '@fastify/sensible'
import { AthleteParams, ErrorResponse } from '../schemas/common.ts'
import { IMPORT_CONTENT_TYPES, ImportReply } from './schemas.ts'
import { importExport } from './service.ts'
import { removeSpoolFile, spoolUpload, uploadTooLarge } from './spool.ts'

/** Seconds a client waits before retrying while an import for the same athlete runs. */
const IMPORT_RETRY_AFTER_S = 30

const mediaType = (header: string | undefined) => header?.split(';')[0]!.trim().toLowerCase() ?? ''

const importRoutes: FastifyPluginAsyncTypebox = async app => {
  // The body is left unread for the handler, which streams it to a spool file under
  // IMPORT_MAX_BYTES; parsers registered here apply to this plugin's routes only. The route's
  // body limit (BODY_LIMIT_BYTES) binds only the buffering parsers, so a JSON body sent here
  // is refused small rather than read whole before its 415.
  app.addContentTypeParser(Object.keys(IMPORT_CONTENT_TYPES), (_request, payload, done) => done(null, payload))
  const running = new Set<number>()
  const spoolDir = join(app.config.DATA_DIR, 'imports')
  const maxBytes = app.config.IMPORT_MAX_BYTES

  app.post('/api/athletes/:athleteId/imports', {
    schema: {
      tags: ['activities'],
      summary: 'Import a Strava account export (zip) or its activities.csv, all or nothing',
      consumes: Object.keys(IMPORT_CONTENT_TYPES),
      params: AthleteParams,
      response: { 200: ImportReply, 400: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse, 413: ErrorResponse, 415: ErrorResponse }
    }
  }, async (request, reply) => {
    const format = IMPORT_CONTENT_TYPES[mediaType(request.headers['content-type']) as keyof typeof IMPORT_CONTENT_TYPES]
    if (!format) throw httpErrors.unsupportedMediaType('content-type: send the export as application/zip, or its activities.csv as text/csv')
    if (Number(request.headers['content-length'] ?? 0) > maxBytes) throw uploadTooLarge(maxBytes)
    const { athleteId } = request.params
    if (running.has(athleteId)) {
      reply.header('retry-after', IMPORT_RETRY_AFTER_S)
      throw httpErrors.conflict(`an import for athlete ${athleteId} is already running; retry when it has finished`)
    }
    running.add(athleteId)
    let path: string | undefined
    try {
      path = await spoolUpload(request.body as Readable, spoolDir, maxBytes)
      return await importExport(app.db, athleteId, path, format, { limits: { maxActivities: app.config.MAX_ACTIVITIES_PER_ATHLETE } })
    } finally {
      running.delete(athleteId)
      if (path) await removeSpoolFile(path)
    }
  })
}

export default importRoutes
