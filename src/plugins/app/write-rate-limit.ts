import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import fp from 'fastify-plugin'

/** Methods that read; every other method on a credentialed route is a write. */
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

const isCredentialedWrite = (route: RouteOptions) =>
  (route.url.startsWith('/api/') || route.url.startsWith('/admin/')) &&
  [route.method].flat().some(method => !READ_METHODS.has(method))

/**
 * Who is writing, as the auth plugin left it on the request: one bucket per athlete (all of
 * its keys share it) and one for the admin token. Read loosely, so a credential carrying a
 * key id or another shape still gets a bucket of its own; without one, the address.
 */
function writerOf (request: FastifyRequest): { key: string, admin: boolean } {
  const credential = (request as { credential?: { kind?: unknown, athleteId?: unknown, keyId?: unknown } }).credential
  if (credential?.kind === 'admin') return { key: 'admin', admin: true }
  if (credential?.athleteId !== undefined) return { key: `athlete:${String(credential.athleteId)}`, admin: false }
  if (credential?.keyId !== undefined) return { key: `key:${String(credential.keyId)}`, admin: false }
  return { key: `address:${request.ip}`, admin: false }
}

/**
 * Bounds how many writes one credential may make per window (WRITE_RATE_LIMIT_MAX, the admin
 * token ADMIN_WRITE_RATE_LIMIT_MAX): writes are what hold locks and recompute series, so one
 * key looping on them cannot crowd out the others. Reads are not limited here. The limiter
 * runs after the credential check, so only a valid credential spends its own budget.
 */
export default fp(async function writeRateLimit (app) {
  const { WRITE_RATE_LIMIT_MAX, ADMIN_WRITE_RATE_LIMIT_MAX, WRITE_RATE_LIMIT_WINDOW_S } = app.config
  const writes = app.createRateLimit({
    max: (request: FastifyRequest) => writerOf(request).admin ? ADMIN_WRITE_RATE_LIMIT_MAX : WRITE_RATE_LIMIT_MAX,
    timeWindow: WRITE_RATE_LIMIT_WINDOW_S * 1000,
    keyGenerator: (request: FastifyRequest) => `write:${writerOf(request).key}`
  })
  const limitWrites = async (request: FastifyRequest, reply: FastifyReply) => {
    const limit = await writes(request)
    if (limit.isAllowed || !limit.isExceeded) return
    return reply.code(429).header('retry-after', limit.ttlInSeconds).send({
      statusCode: 429,
      error: 'Too Many Requests',
      message: `Too many writes with this credential: at most ${limit.max} per ${WRITE_RATE_LIMIT_WINDOW_S} s; retry in ${limit.ttlInSeconds} s.`
    })
  }
  // Appended to onRequest: the auth plugin's guard, added to each route before, runs first.
  app.addHook('onRoute', route => {
    if (isCredentialedWrite(route)) route.onRequest = [...[route.onRequest ?? []].flat(), limitWrites]
  })
}, { name: 'write-rate-limit', dependencies: ['config', 'rate-limiter', 'auth'] })
