import fp from 'fastify-plugin'
import { recalculateAcwr } from './recalculate.ts'

/**
 * With ACWR_ROLL_FORWARD_INTERVAL_S > 0, extends every athlete's series to today on that
 * schedule, so rest days show up without a request. Instances may all run it: each batch
 * locks its athletes, and rolling forward an up-to-date series writes nothing.
 */
export default fp(async function acwrRollForward (app) {
  const intervalS = app.config.ACWR_ROLL_FORWARD_INTERVAL_S
  if (intervalS === 0) return
  let running = false
  const rollForward = async () => {
    if (running) return
    running = true
    try {
      const result = await recalculateAcwr(app.db, {
        from: 'roll-forward',
        batchSize: app.config.ACWR_BATCH_ATHLETES,
        concurrency: app.config.ACWR_RECOMPUTE_CONCURRENCY,
        onAthleteFailed: (athleteId, err) => app.log.error({ err, athleteId }, 'ACWR roll-forward failed for one athlete')
      })
      app.log.info(result, 'ACWR rolled forward')
    } catch (err) {
      app.log.error({ err }, 'ACWR roll-forward failed')
    } finally {
      running = false
    }
  }
  const timer = setInterval(rollForward, intervalS * 1000).unref()
  app.addHook('onClose', async () => clearInterval(timer))
}, { name: 'acwr-roll-forward', dependencies: ['config', 'database'] })
