import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'kysely'
import t from 'tap'
import { JOB_SCHEMA } from '../../src/db/job-schema.ts'
import { startWorker } from '../../src/strava/jobs.ts'
import { build } from '../helper.ts'

t.test('one athlete\'s jobs never overlap across two runners, and a job that found its athlete busy still runs once', async t => {
  const app = await build(t, { env: { STRAVA_SYNC_WORKER: 'false' } })
  const perAthlete = 6
  const athletes = [1, 2, 3]
  const running = new Map<number, number>()
  const overlaps: number[] = []
  const ran: string[] = []
  const taskList = {
    probe: async (payload: unknown) => {
      const { athleteId, n } = payload as { athleteId: number, n: number }
      running.set(athleteId, (running.get(athleteId) ?? 0) + 1)
      if (running.get(athleteId)! > 1) overlaps.push(athleteId)
      // Long enough for the other workers to take the athlete's next jobs meanwhile.
      await sleep(40)
      running.set(athleteId, running.get(athleteId)! - 1)
      ran.push(`${athleteId}:${n}`)
    }
  }
  const runners = await Promise.all([1, 2].map(() => startWorker({ connectionString: app.databaseUrl, concurrency: 4, taskList })))
  const jobs = athletes.flatMap(athleteId => Array.from({ length: perAthlete }, (_, n) => ({ athleteId, n })))
  try {
    await sql`select ${sql.raw(JOB_SCHEMA)}.add_job('probe', job) from unnest(${jobs.map(job => JSON.stringify(job))}::json[]) as job`.execute(app.db)
    const until = Date.now() + 60_000
    while (ran.length < jobs.length && Date.now() < until) await sleep(50)
  } finally {
    await Promise.all(runners.map(runner => runner.stop()))
  }

  t.same(overlaps, [], 'no athlete ran two jobs at once')
  t.same(ran.slice().sort(), jobs.map(job => `${job.athleteId}:${job.n}`).sort(), 'every job ran exactly once')
  const { rows: [left] } = await sql<{ n: number }>`select count(*)::int as n from ${sql.raw(JOB_SCHEMA)}.jobs`.execute(app.db)
  t.equal(left!.n, 0, 'no job is left waiting')
})

t.test('a runner stopped while its last job runs records that job\'s end before it stops', async t => {
  const app = await build(t, { env: { STRAVA_SYNC_WORKER: 'false' } })
  // Settles with the stop asked for inside the job.
  let stopAsked: (stop: Promise<void>) => void
  const stopped = new Promise<void>(resolve => { stopAsked = resolve })
  const taskList = {
    // The stop is asked for while the job runs, and the job outlasts the rest of the stop, so
    // recording the job's end is the last thing the stop has to wait for.
    probe: async () => {
      stopAsked(runner.stop())
      await sleep(200)
    }
  }
  const runner = await startWorker({ connectionString: app.databaseUrl, concurrency: 1, taskList })
  const { rows: [job] } = await sql<{ id: string }>`select (${sql.raw(JOB_SCHEMA)}.add_job('probe', '{}'::json)).id`.execute(app.db)
  await stopped
  const { rows: [left] } = await sql<{ n: number }>`select count(*)::int as n from ${sql.raw(JOB_SCHEMA)}.jobs where id = ${job!.id}`.execute(app.db)
  t.equal(left!.n, 0, 'the finished job is gone, not left locked to run again after the sweep frees it')
})
