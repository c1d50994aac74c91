import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { ConfigError, loadConfig } from '../src/config.ts'
import { withLocalSecrets } from '../src/secrets.ts'

t.test('locally, missing secrets are generated once into DATA_DIR with mode 0600 and reused', async t => {
  const dataDir = await mkdtemp(join(tmpdir(), 'trainload-secrets-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const logged: string[] = []
  const first = await withLocalSecrets(loadConfig({ DATA_DIR: dataDir }), m => logged.push(m))
  t.ok(first.ADMIN_TOKEN!.length >= 32)
  t.equal(Buffer.from(first.TOKEN_ENCRYPTION_KEY!, 'base64').length, 32)
  t.equal((await stat(join(dataDir, 'admin-token'))).mode & 0o777, 0o600)
  t.equal((await stat(join(dataDir, 'token-key'))).mode & 0o777, 0o600)
  t.equal((await readFile(join(dataDir, 'admin-token'), 'utf8')).trim(), first.ADMIN_TOKEN)
  t.match(logged.join('\n'), /admin-token/, 'the file path is logged')
  t.notMatch(logged.join('\n'), first.ADMIN_TOKEN!, 'the token itself is not')

  const second = await withLocalSecrets(loadConfig({ DATA_DIR: dataDir }), () => {})
  t.equal(second.ADMIN_TOKEN, first.ADMIN_TOKEN)
  t.equal(second.TOKEN_ENCRYPTION_KEY, first.TOKEN_ENCRYPTION_KEY)
})

t.test('in production a missing admin token or key stops the start', async t => {
  const err = await withLocalSecrets(loadConfig({ NODE_ENV: 'production' }), () => {}).catch(e => e)
  t.type(err, ConfigError)
  t.match(err.message, /ADMIN_TOKEN: is required in production/)
  t.match(err.message, /TOKEN_ENCRYPTION_KEY: is required in production/)
})

t.test('configured secrets are used as given', async t => {
  const config = loadConfig({ ADMIN_TOKEN: 'a'.repeat(40), TOKEN_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64') })
  t.equal(await withLocalSecrets(config, () => {}), config)
})
