import t from 'tap'
import { ConfigError, loadConfig } from '../src/config.ts'

t.test('defaults need no environment at all', async t => {
  const config = loadConfig({})
  t.equal(config.PORT, 3000)
  t.equal(config.DB_POOL_MAX, 10)
  t.equal(config.DB_POOL_MIN, 2)
  t.equal(config.DATABASE_URL, undefined)
  t.equal(config.CORS_ORIGINS, '')
})

t.test('values are coerced from their text', async t => {
  const config = loadConfig({ PORT: '8080', SEED_DEMO: 'false', DATABASE_URL: 'postgres://u@h/db' })
  t.equal(config.PORT, 8080)
  t.equal(config.SEED_DEMO, false)
  t.equal(config.DATABASE_URL, 'postgres://u@h/db')
})

t.test('a bad environment names every offending variable and what it expects', async t => {
  const err = t.throws(() => loadConfig({
    PORT: 'eighty',
    DB_POOL_MAX: '0',
    ADMIN_TOKEN: 'too-short',
    NODE_ENV: 'staging',
    DATABASE_URL: 'mysql://localhost/db'
  })) as Error
  t.type(err, ConfigError)
  t.match(err.message, /PORT: must be integer/)
  t.match(err.message, /DB_POOL_MAX: must be >= 1/)
  t.match(err.message, /ADMIN_TOKEN: must NOT have fewer than 32 characters/)
  t.match(err.message, /NODE_ENV: .*\(development, test, production\)/)
  t.match(err.message, /DATABASE_URL: must match pattern/)
  t.notMatch(err.message, /too-short/, 'the rejected secret is not echoed')
})
