import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import type { FakeTokenSet } from '../test/fake-strava.ts'

/** Activities of one athlete on the fake, as `makeActivities` (test/fake-strava-api.ts) builds them. */
export interface FakeHistory { stravaId: number, days: number, firstId: number, newest: string }

/** What the parent asks the fake in its own process; each request is answered once, by id. */
export type FakeStravaCommand =
  | { kind: 'addAthletes', stravaIds: number[] }
  | { kind: 'addHistories', histories: FakeHistory[] }
  | { kind: 'setLatency', latencyMs: number, apiLatencyMs?: number }
  | { kind: 'setRateLimits', limit: number }
  | { kind: 'resetUsage' }

export type FakeStravaRequest = FakeStravaCommand & { id: number }

export type FakeStravaReply = { id: number, tokens?: FakeTokenSet[], served?: number, error?: string }

export interface FakeStravaStarted { url: string, clientId: string, clientSecret: string }

/**
 * The fake Strava in a child process. Production Strava is not in trainload's process, so a
 * bench should not charge the fake's HTTP handling and JSON to trainload's event loop: here
 * only the machine's cores are shared.
 */
export async function startFakeStravaProcess (latencyMs: number, apiLatencyMs = 0) {
  const child: ChildProcess = fork(fileURLToPath(new URL('fake-strava-child.ts', import.meta.url)), [String(latencyMs), String(apiLatencyMs)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc']
  })
  const [started] = await Promise.race([
    once(child, 'message') as Promise<[FakeStravaStarted]>,
    once(child, 'exit').then(([code]) => { throw new Error(`the fake Strava process exited (${String(code)}) before listening`) })
  ])
  const pending = new Map<number, { resolve: (reply: FakeStravaReply) => void, reject: (err: Error) => void }>()
  child.on('message', (reply: FakeStravaReply) => {
    pending.get(reply.id)?.resolve(reply)
    pending.delete(reply.id)
  })
  child.on('exit', () => {
    for (const waiter of pending.values()) waiter.reject(new Error('the fake Strava process exited'))
    pending.clear()
  })
  let nextId = 0
  const request = async (command: FakeStravaCommand): Promise<FakeStravaReply> => {
    const id = nextId++
    const reply = await new Promise<FakeStravaReply>((resolve, reject) => {
      pending.set(id, { resolve, reject })
      child.send({ ...command, id })
    })
    if (reply.error) throw new Error(`fake Strava: ${reply.error}`)
    return reply
  }
  return {
    ...started,
    /** Athletes who have logged in: the tokens Strava gave each, in the order asked. */
    addAthletes: async (stravaIds: number[]) => (await request({ kind: 'addAthletes', stravaIds })).tokens!,
    /** Gives athletes their activities on the fake, built there from the same inputs as the caller's copy. */
    addHistories: async (histories: FakeHistory[]) => { await request({ kind: 'addHistories', histories }) },
    /** Latency of token calls, and of API calls when given. */
    setLatency: async (ms: number, apiMs?: number) => { await request({ kind: 'setLatency', latencyMs: ms, apiLatencyMs: apiMs }) },
    /** Sets every read and overall limit, both windows, to `limit`. */
    setRateLimits: async (limit: number) => { await request({ kind: 'setRateLimits', limit }) },
    /** Starts the usage over; resolves to the API calls served before. */
    resetUsage: async () => (await request({ kind: 'resetUsage' })).served!,
    close: async () => {
      if (child.exitCode !== null) return
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      await exited
    }
  }
}

export type FakeStravaProcess = Awaited<ReturnType<typeof startFakeStravaProcess>>
