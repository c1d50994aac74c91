import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, stat } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { removeDataDir } from '../src/db/embedded.ts'
import { createTestDatabase } from './helper.ts'

interface Started { child: ChildProcess, url: string, output: () => string }

/** Starts `src/server.ts` as `npm start` does and waits for the URL it logs. */
async function startService (env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const match = output.match(/trainload listening on (http:\/\/[\d.:]+)/)
      if (match) resolve(match[1]!)
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.once('exit', code => reject(new Error(`service exited with ${code}:\n${output}`)))
  })
  return { child, url, output: () => output }
}

function exitOf (child: ChildProcess): Promise<number | null> {
  return new Promise(resolve => child.once('exit', code => resolve(code)))
}

t.test('with no DATABASE_URL the service starts its own PostgreSQL, seeds the demo fleet, serves, and stops it on SIGTERM', async t => {
  const dataDir = await mkdtemp(join(tmpdir(), 'trainload-server-'))
  t.teardown(() => removeDataDir(dataDir))
  // Hold the preferred port so the embedded server has to pick another.
  const blocker = createServer().listen(0, '127.0.0.1')
  await new Promise(resolve => blocker.once('listening', resolve))
  t.teardown(() => blocker.close())
  const takenPort = (blocker.address() as { port: number }).port

  const service = await startService({ DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(takenPort) })
  t.match(service.output(), /embedded PostgreSQL 17 listening on 127\.0\.0\.1:\d+/)
  t.notMatch(service.output(), new RegExp(`127\\.0\\.0\\.1:${takenPort}\\b`), 'a taken port is avoided')
  t.ok(existsSync(join(dataDir, 'postgres', 'PG_VERSION')), 'the data lives in DATA_DIR/postgres')
  const passwordFile = join(dataDir, 'postgres-password')
  t.equal((await stat(passwordFile)).mode & 0o777, 0o600, 'the database password is readable by its owner only')
  const password = (await readFile(passwordFile, 'utf8')).trim()
  t.notOk(service.output().includes(password), 'the database password is never logged')
  const recordedUrl = await readFile(join(dataDir, 'database-url'), 'utf8')
  t.match(recordedUrl, /^postgres:\/\/.+\/trainload\n$/, 'the address is written down for the db:* tools')

  const health = await fetch(`${service.url}/health`)
  t.equal(health.status, 200)
  t.equal((await health.json()).database.status, 'up')

  const keyFile = join(dataDir, 'demo-athlete-key')
  t.match(service.output(), `API key in ${keyFile}`, 'the first start seeds the demo fleet and logs where its key is')
  t.match(service.output(), /"athletes":25,"activities":\d{4,},"acwrDays":\d{5,}/, 'the whole fleet: 25 athletes over 18 months')
  const [, athleteId, apiKey] = (await readFile(keyFile, 'utf8')).match(/^athleteId=(\d+)\napiKey=(\S+)\n$/)!
  t.notOk(service.output().includes(apiKey!), 'the key itself is never logged')
  const latest = await fetch(`${service.url}/api/athletes/${athleteId}/acwr/latest`, { headers: { authorization: `Bearer ${apiKey}` } })
  t.equal(latest.status, 200, 'the demo athlete has a ratio to show')

  const postmasterPid = Number((await readFile(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n')[0])
  const exited = exitOf(service.child)
  service.child.kill('SIGTERM')
  t.equal(await exited, 0, 'a graceful shutdown exits 0')
  t.throws(() => process.kill(postmasterPid, 0), 'no postgres process is left behind')
  t.notOk(existsSync(join(dataDir, 'postgres', 'postmaster.pid')), 'PostgreSQL shut down cleanly')
})

t.test('with DATABASE_URL the service uses that server and starts nothing', async t => {
  const dataDir = await mkdtemp(join(tmpdir(), 'trainload-server-'))
  t.teardown(() => removeDataDir(dataDir))
  const databaseUrl = await createTestDatabase(t)

  const service = await startService({ DATA_DIR: dataDir, DATABASE_URL: databaseUrl })
  t.notMatch(service.output(), /embedded PostgreSQL/)
  t.notOk(existsSync(join(dataDir, 'postgres')), 'no embedded data folder is created')
  t.notOk(existsSync(join(dataDir, 'demo-athlete-key')), 'a configured database is not seeded without SEED_DEMO=true')
  const health = await fetch(`${service.url}/health`)
  t.equal(health.status, 200)

  const exited = exitOf(service.child)
  service.child.kill('SIGINT')
  t.equal(await exited, 0)
})

t.test('a bad environment stops the start with a message naming the variable', async t => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: { ...process.env, DB_POOL_MAX: 'many' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  child.stdout.on('data', c => { output += c })
  child.stderr.on('data', c => { output += c })
  t.equal(await exitOf(child), 1)
  t.match(output, /Invalid configuration:\n\s+DB_POOL_MAX: must be integer/)
})
