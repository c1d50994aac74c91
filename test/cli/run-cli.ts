import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'
import { TEST_ADMIN_TOKEN, TEST_TOKEN_KEY } from '../helper.ts'

const bin = new URL('../../src/cli/bin.js', import.meta.url).pathname

/** Runs `trainload <args>` as a child process against `databaseUrl`, with a data folder of its own and `env` added to its settings. */
export async function runCli (t: Test, databaseUrl: string, args: string[], env: Record<string, string> = {}) {
  const dataDir = await mkdtemp(join(tmpdir(), 'trainload-cli-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const child = spawn(process.execPath, [bin, ...args], {
    env: { PATH: process.env.PATH, DATABASE_URL: databaseUrl, ADMIN_TOKEN: TEST_ADMIN_TOKEN, TOKEN_ENCRYPTION_KEY: TEST_TOKEN_KEY, DATA_DIR: dataDir, ...env }
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', chunk => { stdout += chunk })
  child.stderr.on('data', chunk => { stderr += chunk })
  const code = await new Promise<number | null>(resolve => child.on('close', resolve))
  return { code, stdout, stderr, dataDir }
}
