import t from 'tap'
import { ConfigError, loadConfig, trustProxyOption } from '../src/config.ts'
import { docsServed } from '../src/plugins/external/swagger.ts'

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

t.test('TRUST_PROXY is off by default and takes proxy addresses and CIDR ranges', async t => {
  t.equal(trustProxyOption(loadConfig({}).TRUST_PROXY), false)
  t.same(trustProxyOption('10.0.0.1, 10.1.0.0/16,::1,fd00::/8,loopback'), ['10.0.0.1', '10.1.0.0/16', '::1', 'fd00::/8', 'loopback'])
})

t.test('a TRUST_PROXY that is not proxy addresses stops the start, naming the problem', async t => {
  for (const value of ['true', '10.0.0.1,proxy.example.org', '10.0.0.0/33', '2', '10.0.0.1/8/8', '10.0.0.1,,10.0.0.2']) {
    const err = t.throws(() => loadConfig({ TRUST_PROXY: value }), `TRUST_PROXY=${value}`) as Error
    t.type(err, ConfigError)
    t.match(err.message, /TRUST_PROXY/)
  }
  t.match((t.throws(() => loadConfig({ TRUST_PROXY: '2' })) as Error).message, /hop count/, 'a hop count is refused with the reason')
})

t.test('DOCS_ENABLED is a boolean, unset by default, and the docs follow NODE_ENV until it is set', async t => {
  t.equal(loadConfig({}).DOCS_ENABLED, undefined)
  t.equal(loadConfig({ DOCS_ENABLED: 'true' }).DOCS_ENABLED, true)
  t.match((t.throws(() => loadConfig({ DOCS_ENABLED: 'sometimes' })) as Error).message, /DOCS_ENABLED: must be boolean/)
  t.equal(docsServed(loadConfig({})), true, 'on in development')
  t.equal(docsServed(loadConfig({ NODE_ENV: 'production' })), false, 'off in production')
  t.equal(docsServed(loadConfig({ NODE_ENV: 'production', DOCS_ENABLED: 'true' })), true, 'on in production when asked for')
})
