import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { removeDataDir } from '../../src/db/embedded.ts'

// Every way of stopping `npm start` that the README names, as an operator's terminal or
// `docker stop` (SIGTERM to CMD ["npm", "start"], npm's own pid) sends it.

interface Running {
  npm: ChildProcess
  serverPid: number
  postmasterPid: number
  url: string
  output: () => string
  exited: Promise<number | null>
}

const STOP_BOUND_MS = 60_000

/** `npm start` in a process group of its own (as a terminal runs it), once it serves. */
async function npmStart (t: Test, dataDir: string): Promise<Running> {
  const npm = spawn('npm', ['start'], {
    env: { ...process.env, DATA_DIR: dataDir, PORT: '0', SEED_DEMO: 'false', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true
  })
  let output = ''
  const exited = new Promise<number | null>(resolve => npm.once('exit', code => resolve(code)))
  t.teardown(() => { if (npm.exitCode === null) process.kill(-npm.pid!, 'SIGKILL') })
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const match = output.match(/trainload listening on (http:\/\/[\d.:]+)/)
      if (match) resolve(match[1]!)
    }
    npm.stdout!.on('data', onData)
    npm.stderr!.on('data', onData)
    exited.then(code => reject(new Error(`npm start exited with ${code}:\n${output}`)), () => {})
  })
  const children = (await readFile(`/proc/${npm.pid}/task/${npm.pid}/children`, 'utf8')).trim().split(' ')
  const postmasterPid = Number((await readFile(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n')[0])
  t.equal(children.length, 1, 'npm runs one process')
  t.equal((await readFile(`/proc/${children[0]}/comm`, 'utf8')).trim(), 'node', 'and it is the server itself: no shell or loader in between')
  return { npm, serverPid: Number(children[0]), postmasterPid, url, output: () => output, exited }
}

function isAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function assertStoppedGracefully (t: Test, running: Running, dataDir: string): Promise<void> {
  const code = await Promise.race([running.exited, sleep(STOP_BOUND_MS, 'still running')])
  t.equal(code, 0, `npm exits 0 within ${STOP_BOUND_MS / 1000} s`)
  t.match(running.output(), /"msg":"shutting down"/, 'the server logs its shutdown')
  t.notMatch(running.output(), /second SIG|killed by timeout/, 'no forced exit')
  t.notMatch(running.output(), /\n\s+at |terminating connection|"level":50/, 'no stack trace or error from PostgreSQL')
  t.equal(running.output().match(/"msg":"shutting down"/g)?.length, 1, 'one shutdown, however many signals arrived')
  await t.rejects(fetch(`${running.url}/health`), 'the server no longer answers /health')
  t.notOk(isAlive(running.serverPid), 'the server process is gone')
  t.notOk(isAlive(running.postmasterPid), 'PostgreSQL is gone')
  t.notOk(existsSync(join(dataDir, 'postgres', 'postmaster.pid')), 'PostgreSQL shut down cleanly')
}

t.test('each stop the README names shuts npm start down gracefully', async t => {
  const dataDir = await mkdtemp(join(tmpdir(), 'trainload-signals-'))
  t.teardown(() => removeDataDir(dataDir))

  t.test('SIGTERM to npm itself, as docker stop sends it', async t => {
    const running = await npmStart(t, dataDir)
    process.kill(running.npm.pid!, 'SIGTERM')
    await assertStoppedGracefully(t, running, dataDir)
  })

  t.test("Ctrl-C in a terminal: SIGINT to npm's whole process group", async t => {
    const running = await npmStart(t, dataDir)
    process.kill(-running.npm.pid!, 'SIGINT')
    await assertStoppedGracefully(t, running, dataDir)
  })

  t.test('SIGTERM to the server process', async t => {
    const running = await npmStart(t, dataDir)
    process.kill(running.serverPid, 'SIGTERM')
    await assertStoppedGracefully(t, running, dataDir)
  })
})
