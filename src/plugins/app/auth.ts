import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import fp from 'fastify-plugin'
import { ApiKeyCache } from '../../athletes/api-key-cache.ts'
import { findApiKey } from '../../athletes/api-keys.ts'
import { FAILED_AUTH_LIMIT } from '../external/rate-limit.ts'

/** Who made a request; other features read it from `request.credential`. */
export type Credential = { kind: 'admin' } | { kind: 'athlete', athleteId: number, keyId: number }

type Guard = (request: FastifyRequest, reply: FastifyReply) => Promise<void>

declare module 'fastify' {
  interface FastifyInstance {
    /** onRequest hook for /admin/* and /metrics: the admin token only. */
    requireAdmin: Guard
    /** onRequest hook for /api/athletes/:athleteId/*: that athlete's API key, or the admin token. */
    requireAthlete: Guard
    /** onRequest hook for routes any valid credential may call, such as /api/me. */
    requireCredential: Guard
    /** Recently checked API keys; revoking a key must tell it (`forgetKey`). */
    apiKeyCache: ApiKeyCache
  }
  interface FastifyRequest {
    credential?: Credential
  }
}

/** Every credential failure gets this same body, so a caller learns nothing from it. */
export const UNAUTHORIZED = { statusCode: 401, error: 'Unauthorized', message: 'A valid bearer credential is required.' }

const forbidden = (message: string) => ({ statusCode: 403, error: 'Forbidden', message })

/** The OpenAPI security requirement of every route that takes a credential. */
export const bearerSecurity = [{ bearerAuth: [] }]

export type Access = 'admin' | 'athlete' | 'credential' | 'public'

/**
 * Who may call a route follows from its path, as the HTTP contract states it: admin routes
 * and metrics take the admin token, an athlete's routes take that athlete's key or the admin
 * token, `/api/me` any valid credential, everything else is public. Deriving it here means no
 * route can forget its guard.
 */
export function accessFor (url: string): Access {
  if (url.startsWith('/admin/') || url === '/metrics') return 'admin'
  if (url.startsWith('/api/athletes/:athleteId')) return 'athlete'
  if (url === '/api/me') return 'credential'
  return 'public'
}

/**
 * The credential of an `Authorization: Bearer <credential>` header, the one parser every
 * guard uses. The scheme is case-insensitive (RFC 7235 §2.1) and may be followed by one or
 * more spaces; the credential is printable ASCII without spaces (token68 and the admin tokens
 * this service generates both fit). Anything else is no bearer credential.
 */
export function parseBearer (header: string | undefined): string | undefined {
  const match = /^bearer[ \t]+([\x21-\x7e]{1,512})[ \t]*$/i.exec(header ?? '')
  return match?.[1]
}

const digest = (value: string) => createHash('sha256').update(value).digest()

export default fp(async function auth (app) {
  const adminDigest = digest(app.config.ADMIN_TOKEN!)
  // Comparing fixed-length digests keeps the comparison constant-time whatever the input length.
  const isAdminToken = (credential: string) => timingSafeEqual(digest(credential), adminDigest)
  const apiKeyCache = new ApiKeyCache(app.config.API_KEY_CACHE_MS)
  app.decorate('apiKeyCache', apiKeyCache)

  async function authenticate (request: FastifyRequest): Promise<Credential | undefined> {
    const presented = parseBearer(request.headers.authorization)
    if (presented === undefined) return undefined
    if (isAdminToken(presented)) return { kind: 'admin' }
    const key = await apiKeyCache.find(presented, apiKey => findApiKey(app.db, apiKey))
    return key && { kind: 'athlete', ...key }
  }

  // Failed attempts per client address (request.ip, which honours TRUST_PROXY). It is only
  // consulted once a credential has failed, so a valid credential is never refused by it.
  const failedAttempts = app.createRateLimit(FAILED_AUTH_LIMIT)
  async function refuse (request: FastifyRequest, reply: FastifyReply) {
    // No Authorization header at all is not a guess, so it is not counted.
    if (request.headers.authorization === undefined) return reply.code(401).send(UNAUTHORIZED)
    const limit = await failedAttempts(request)
    if (limit.isAllowed || !limit.isExceeded) return reply.code(401).send(UNAUTHORIZED)
    return reply.code(429).header('retry-after', limit.ttlInSeconds).send({
      statusCode: 429,
      error: 'Too Many Requests',
      message: `Too many failed credential attempts from this address; retry in ${limit.ttlInSeconds} s.`
    })
  }

  /** A guard that authenticates, then lets `check` refuse a valid credential with a 403 message. */
  const guard = (check: (credential: Credential, request: FastifyRequest) => string | undefined): Guard =>
    async function (request, reply) {
      const credential = await authenticate(request)
      if (!credential) return refuse(request, reply)
      const refusal = check(credential, request)
      if (refusal) return reply.code(403).send(forbidden(refusal))
      request.credential = credential
    }

  app.decorate('requireAdmin', guard(credential =>
    credential.kind === 'admin' ? undefined : 'This route takes the admin token; an athlete API key cannot call it.'))
  app.decorate('requireAthlete', guard((credential, request) => {
    if (credential.kind === 'admin') return undefined
    const requested = Number((request.params as { athleteId?: unknown }).athleteId)
    return requested === credential.athleteId ? undefined : 'This API key belongs to another athlete.'
  }))
  app.decorate('requireCredential', guard(() => undefined))

  const guards = { admin: app.requireAdmin, athlete: app.requireAthlete, credential: app.requireCredential }
  app.addHook('onRoute', (route: RouteOptions) => {
    const access = accessFor(route.url)
    if (access === 'public') return
    route.onRequest = [guards[access], ...[route.onRequest ?? []].flat()]
    if (route.schema && !route.schema.hide) route.schema = { ...route.schema, security: bearerSecurity }
  })
}, { name: 'auth', dependencies: ['config', 'database', 'rate-limiter'] })
