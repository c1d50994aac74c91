import { createHash, timingSafeEqual } from 'node:crypto'
import bearerAuth from '@fastify/bearer-auth'
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import fp from 'fastify-plugin'
import { findApiKeyAthlete } from '../../athletes/api-keys.ts'

export type Credential = { kind: 'admin' } | { kind: 'athlete', athleteId: number }

declare module 'fastify' {
  interface FastifyInstance {
    /** onRequest hook for /admin/* and /metrics: the admin token only. */
    requireAdmin: (request: FastifyRequest, reply: FastifyReply) => Promise<void>
    /** onRequest hook for /api/athletes/:athleteId/*: that athlete's API key, or the admin token. */
    requireAthlete: (request: FastifyRequest, reply: FastifyReply) => Promise<void>
  }
  interface FastifyRequest {
    credential?: Credential
  }
}

/** Every credential failure gets this same body, so a caller learns nothing from it. */
export const UNAUTHORIZED = { statusCode: 401, error: 'Unauthorized', message: 'A valid bearer credential is required.' }

/** The OpenAPI security requirement of every route that takes a credential. */
export const bearerSecurity = [{ bearerAuth: [] }]

/**
 * Who may call a route follows from its path, as the HTTP contract states it: admin routes
 * and metrics take the admin token, an athlete's routes take that athlete's key or the admin
 * token, everything else is public. Deriving it here means no route can forget its guard.
 */
export function accessFor (url: string): 'admin' | 'athlete' | 'public' {
  if (url.startsWith('/admin/') || url === '/metrics') return 'admin'
  if (url.startsWith('/api/athletes/:athleteId')) return 'athlete'
  return 'public'
}

const digest = (value: string) => createHash('sha256').update(value).digest()

function bearerCredential (request: FastifyRequest): string | undefined {
  const match = /^Bearer ([\x21-\x7e]{1,512})$/.exec(request.headers.authorization ?? '')
  return match?.[1]
}

export default fp(async function auth (app) {
  // Counts failed attempts per address; a successful one costs nothing, so only guessing is slowed.
  const failedAttempts = app.createRateLimit()
  const refuseGuessing = async (request: FastifyRequest, reply: FastifyReply, { count }: { count: boolean }) => {
    const limit = await failedAttempts(request, { increment: count })
    if (limit.isAllowed || !limit.isExceeded) return undefined
    return reply.code(429).header('retry-after', limit.ttlInSeconds).send({
      statusCode: 429,
      error: 'Too Many Requests',
      message: `Too many failed credential attempts from this address; retry in ${limit.ttlInSeconds} s.`
    })
  }
  const unauthorized = async (request: FastifyRequest, reply: FastifyReply) =>
    await refuseGuessing(request, reply, { count: true }) ?? reply.code(401).send(UNAUTHORIZED)

  const adminDigest = digest(app.config.ADMIN_TOKEN!)
  // Comparing fixed-length digests keeps the comparison constant-time whatever the input length.
  const isAdminToken = (credential: string) => timingSafeEqual(digest(credential), adminDigest)

  await app.register(bearerAuth, {
    keys: [app.config.ADMIN_TOKEN!],
    addHook: false,
    verifyErrorLogLevel: 'debug'
  })

  app.decorate('requireAdmin', async function requireAdmin (request: FastifyRequest, reply: FastifyReply) {
    const refused = await refuseGuessing(request, reply, { count: false })
    if (refused) return refused
    const verified = await new Promise<boolean>(resolve => app.verifyBearerAuth!(request, reply, err => resolve(!err)))
    if (!verified) return unauthorized(request, reply)
    request.credential = { kind: 'admin' }
  })

  app.decorate('requireAthlete', async function requireAthlete (request: FastifyRequest, reply: FastifyReply) {
    // Athlete routes accept the admin token too, so guessing through them is limited as well.
    const refused = await refuseGuessing(request, reply, { count: false })
    if (refused) return refused
    const credential = bearerCredential(request)
    if (credential && isAdminToken(credential)) {
      request.credential = { kind: 'admin' }
      return
    }
    const athleteId = credential ? await findApiKeyAthlete(app.db, credential) : undefined
    if (athleteId === undefined) return unauthorized(request, reply)
    const requested = Number((request.params as { athleteId?: unknown }).athleteId)
    if (requested !== athleteId) {
      return reply.code(403).send({ statusCode: 403, error: 'Forbidden', message: 'This API key belongs to another athlete.' })
    }
    request.credential = { kind: 'athlete', athleteId }
  })

  app.addHook('onRoute', (route: RouteOptions) => {
    const access = accessFor(route.url)
    if (access === 'public') return
    const guard = access === 'admin' ? app.requireAdmin : app.requireAthlete
    route.onRequest = [guard, ...[route.onRequest ?? []].flat()]
    if (route.schema && !route.schema.hide) route.schema = { ...route.schema, security: bearerSecurity }
  })
}, { name: 'auth', dependencies: ['config', 'database', 'rate-limiter'] })
