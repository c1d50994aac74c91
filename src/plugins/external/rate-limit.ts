import rateLimit from '@fastify/rate-limit'
import fp from 'fastify-plugin'

/**
 * Failed credential checks an address may make per window before it gets 429s. Only failures
 * count (see src/plugins/app/auth.ts), so ordinary traffic is never throttled by this.
 */
export const FAILED_AUTH_LIMIT = { max: 20, timeWindow: 60_000 }

export default fp(async function rateLimiter (app) {
  // Not global: the auth plugin consults the limiter itself, on failed attempts only.
  await app.register(rateLimit, { global: false, ...FAILED_AUTH_LIMIT })
}, { name: 'rate-limiter' })
