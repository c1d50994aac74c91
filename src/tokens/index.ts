import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { tokenRefreshOutcomes } from '../plugins/app/metrics.ts'
import tokenAdminRoutes from './admin-routes.ts'
import { tokenCipherFromConfig, type TokenCipher } from './crypto.ts'
import oauthRoutes from './oauth-routes.ts'
import { stateKeyFrom } from './oauth.ts'
import { refreshDueTokens } from './refresh.ts'
import type { RefreshCounts } from './schemas.ts'
import { createStravaClient, type StravaClient } from './strava-client.ts'

declare module 'fastify' {
  interface FastifyInstance {
    tokenCipher: TokenCipher
    strava: StravaClient
    oauthStateKey: Buffer
    /** Refreshes due tokens with this instance's database, cipher and Strava client. */
    refreshTokens: (options?: Parameters<typeof refreshDueTokens>[1]) => Promise<RefreshCounts>
    /**
     * Called with the athletes whose tokens were just saved (an OAuth login, an operator's
     * batch save), after the save committed; e.g. the Strava sync queues their backfill.
     */
    tokenSaveListeners: Array<(athleteIds: number[]) => Promise<void>>
  }
}

/**
 * Strava tokens: the cipher, the Strava client and the refresh job as decorators, the admin
 * routes that save, refresh, report and clean up tokens, and the OAuth sign-in.
 */
export default fp(async function tokens (app) {
  const { config } = app
  app.decorate('tokenCipher', tokenCipherFromConfig(config))
  app.decorate('oauthStateKey', stateKeyFrom(config.TOKEN_ENCRYPTION_KEY!))
  app.decorate('strava', createStravaClient({
    baseUrl: config.STRAVA_BASE_URL,
    clientId: config.STRAVA_CLIENT_ID,
    clientSecret: config.STRAVA_CLIENT_SECRET
  }))
  app.decorate('tokenSaveListeners', [])
  const deps = { db: app.db, cipher: app.tokenCipher, strava: app.strava }
  app.decorate('refreshTokens', async options => {
    const counts = await refreshDueTokens(deps, options)
    for (const outcome of tokenRefreshOutcomes) {
      app.metrics.tokenRefreshes.inc({ outcome }, counts[outcome])
    }
    return counts
  })

  if (config.TOKEN_REFRESH_INTERVAL_S > 0) scheduleRefresh(app, config.TOKEN_REFRESH_INTERVAL_S)

  await app.register(tokenAdminRoutes)
  await app.register(oauthRoutes)
}, { name: 'tokens', dependencies: ['config', 'database', 'metrics', 'auth', 'openapi'] })

/**
 * Refreshes due tokens every `intervalS` seconds. A tick is skipped while the previous run is
 * still going; the timer does not keep the process alive, and close waits for a run in flight
 * so its rotated tokens are stored before the pool closes.
 */
function scheduleRefresh (app: FastifyInstance, intervalS: number): void {
  let running: Promise<void> | undefined
  const tick = () => {
    if (running) return
    running = app.refreshTokens()
      .then(counts => app.log.info({ tokenRefresh: counts }, 'scheduled token refresh done'))
      .catch(err => app.log.error({ err }, 'scheduled token refresh failed'))
      .finally(() => { running = undefined })
  }
  const timer = setInterval(tick, intervalS * 1000).unref()
  app.addHook('onClose', async () => {
    clearInterval(timer)
    await running
  })
}
