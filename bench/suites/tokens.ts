import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import { createDatabase, type Database } from '../../src/db/database.ts'
import { tokenCipherFromConfig, type TokenCipher } from '../../src/tokens/crypto.ts'
import { refreshDueTokens, type RefreshDependencies } from '../../src/tokens/refresh.ts'
import type { PlainToken, RefreshCounts } from '../../src/tokens/schemas.ts'
import { saveTokens } from '../../src/tokens/store.ts'
import { createStravaClient } from '../../src/tokens/strava-client.ts'
import { startFakeStravaProcess, type FakeStravaProcess } from '../fake-strava-process.ts'
import { alternate, andAlso, atLeast, atMost, measured, median, timed, type CaseOutcome, type Mode, type Progress, type Suite, type SuiteContext } from '../harness.ts'

interface TokenSizes {
  save: {
    tokens: number
    /** Tokens the row-by-row side saves per run; its rate is scaled to `tokens` per row. */
    rowByRow: number
    rounds: number
  }
  refresh: { tokens: number, rounds: number }
}

const sizes: Record<Mode, TokenSizes> = {
  smoke: { save: { tokens: 200, rowByRow: 50, rounds: 1 }, refresh: { tokens: 64, rounds: 1 } },
  quick: { save: { tokens: 2000, rowByRow: 250, rounds: 3 }, refresh: { tokens: 512, rounds: 2 } },
  full: { save: { tokens: 10_000, rowByRow: 1000, rounds: 5 }, refresh: { tokens: 10_000, rounds: 2 } }
}

const STRAVA_LATENCY_MS = 50
/** Lets the server write out one side's dirty pages before the other side starts. */
const SETTLE_MS = 200

interface BenchAthlete {
  id: number
  stravaId: number
}

async function createAthletes (db: Database, count: number, firstStravaId: number): Promise<BenchAthlete[]> {
  const rows = await db.insertInto('athletes')
    .columns(['strava_athlete_id'])
    .expression(sql`select g from generate_series(${firstStravaId}::bigint, ${firstStravaId + count - 1}::bigint) as g`)
    .returning(['id', 'strava_athlete_id'])
    .execute()
  return rows.map(row => ({ id: row.id, stravaId: row.strava_athlete_id! }))
}

const epochSeconds = (minutesAhead: number) => Math.floor(Date.now() / 1000) + minutesAhead * 60

/**
 * What a naive ORM loop does: a transaction per token, and one statement that upserts it and
 * writes its audit event, so that both sides leave the same rows behind.
 */
async function saveOneToken (db: Database, cipher: TokenCipher, token: PlainToken): Promise<void> {
  await db.transaction().execute(trx => sql`with saved as (
      insert into strava_tokens (athlete_id, access_token, refresh_token, expires_at, scope)
      values (${token.athleteId}, ${cipher.seal(token.accessToken)}, ${cipher.seal(token.refreshToken)},
        to_timestamp(${token.expiresAt}::float8), ${token.scope ?? null})
      on conflict (athlete_id) do update set access_token = excluded.access_token,
        refresh_token = excluded.refresh_token, expires_at = excluded.expires_at, scope = excluded.scope,
        status = 'active', invalid_since = null, failure_count = 0, last_error = null, updated_at = now()
      returning athlete_id)
    insert into token_events (athlete_id, event, detail) select athlete_id, 'saved', 'row by row' from saved`.execute(trx))
}

async function batchAgainstRowByRow (context: SuiteContext, db: Database, cipher: TokenCipher, size: TokenSizes['save']): Promise<CaseOutcome[]> {
  const athletes = await createAthletes(db, size.tokens, 1)
  // Six hours ahead: these tokens are never due, so the refresh case sees only its own.
  const expiresAt = epochSeconds(6 * 60)
  const tokens = athletes.map(athlete => ({
    athleteId: athlete.id,
    accessToken: randomBytes(20).toString('hex'),
    refreshToken: randomBytes(20).toString('hex'),
    expiresAt,
    scope: 'read,activity:read_all'
  }))
  const subset = tokens.slice(0, size.rowByRow)
  // The warm-up's batch inserts every row; each measured run of either side then updates.
  const samples = await alternate({
    batch: () => timed(() => saveTokens(db, cipher, tokens)),
    rowByRow: () => timed(async () => {
      for (const token of subset) await saveOneToken(db, cipher, token)
    })
  }, { warmup: 1, rounds: size.rounds, settleMs: SETTLE_MS, progress: context.progress('tokens: batch save', size.rounds) })
  return saveCases(tokens.length, subset.length, size.rounds, samples)
}

function saveCases (tokens: number, timedRows: number, rounds: number, samples: { batch: number[], rowByRow: number[] }): CaseOutcome[] {
  const batchMs = median(samples.batch)
  const rowMs = median(samples.rowByRow) / timedRows
  return [
    measured({
      case: `row-by-row save, a transaction per token, ${tokens} tokens`,
      medianMs: rowMs * tokens,
      runs: rounds,
      throughput: { value: 1000 / rowMs, unit: 'rows/s' },
      details: { tokens, rowsTimedPerRun: timedRows, medianMsPerRow: rowMs },
      note: timedRows < tokens ? `timed on ${timedRows} of the ${tokens} tokens per run; the median is that time scaled per row to ${tokens}` : undefined
    }),
    measured({
      case: `batch save (saveTokens, as PUT /admin/strava-tokens), ${tokens} tokens`,
      medianMs: batchMs,
      runs: rounds,
      throughput: { value: 1000 * tokens / batchMs, unit: 'rows/s' },
      ratio: { value: rowMs * tokens / batchMs, unit: 'x', of: 'batch rows/s / row-by-row rows/s' },
      target: atLeast(30, 'x'),
      details: { tokens }
    })
  ]
}

/** Tokens that logged in with the fake Strava and expire within the refresh window. */
async function seedDueTokens (db: Database, cipher: TokenCipher, fake: FakeStravaProcess, count: number): Promise<number[]> {
  const athletes = await createAthletes(db, count, 1_000_000)
  const expiresAt = epochSeconds(10)
  const issued = await fake.addAthletes(athletes.map(athlete => athlete.stravaId))
  await saveTokens(db, cipher, athletes.map((athlete, i) =>
    ({ athleteId: athlete.id, accessToken: issued[i]!.access_token, refreshToken: issued[i]!.refresh_token, expiresAt })))
  return athletes.map(athlete => athlete.id)
}

/** A refresh stored each token with Strava's new expiry; this brings them back into the window. */
async function makeDue (db: Database, athleteIds: number[]): Promise<void> {
  await db.updateTable('strava_tokens')
    .set({ expires_at: sql`now() + interval '10 minutes'`, refresh_claimed_until: null })
    .where('athlete_id', '=', sql<number>`any(${athleteIds}::bigint[])`)
    .execute()
}

interface RefreshRun {
  ms: number
  counts: RefreshCounts
}

function refreshDetails (tokens: number, concurrency: number, latencyMs: number, runs: RefreshRun[], poolMax: number) {
  return {
    tokens,
    concurrency,
    latencyMs,
    poolMax,
    refreshedPerRun: runs.map(run => run.counts.refreshed).join(' '),
    failedOrInvalidated: runs.reduce((sum, run) => sum + run.counts.failed + run.counts.invalidated, 0)
  }
}

function refreshCase (concurrency: number, tokens: number, runs: RefreshRun[], poolMax: number): CaseOutcome {
  const wallMs = median(runs.map(run => run.ms))
  const idealMs = tokens * STRAVA_LATENCY_MS / concurrency
  const refreshed = runs.map(run => run.counts.refreshed)
  const complete = refreshed.every(count => count === tokens)
  return measured({
    case: `refresh ${tokens} due tokens, fake Strava at ${STRAVA_LATENCY_MS} ms, concurrency ${concurrency}`,
    medianMs: wallMs,
    runs: runs.length,
    throughput: { value: 1000 * tokens / wallMs, unit: 'tokens/s' },
    ratio: { value: wallMs / idealMs, unit: 'x', of: 'wall ms / ideal (n x latency / concurrency)' },
    target: andAlso(atMost(1.2, 'x'), 'every token refreshed', complete),
    details: { ...refreshDetails(tokens, concurrency, STRAVA_LATENCY_MS, runs, poolMax), idealMs },
    note: complete ? undefined : `refreshed per run: ${refreshed.join(', ')} of ${tokens}`
  })
}

/**
 * The same run with Strava answering at once: what the refresh path itself costs on this
 * machine (HTTP, decrypt, encrypt, its share of a group commit), a floor the ideal leaves out.
 */
function ownCostCase (concurrency: number, tokens: number, runs: RefreshRun[], poolMax: number): CaseOutcome {
  const wallMs = median(runs.map(run => run.ms))
  return measured({
    case: `refresh ${tokens} due tokens, fake Strava at 0 ms, concurrency ${concurrency} (trainload's own cost)`,
    medianMs: wallMs,
    runs: runs.length,
    throughput: { value: 1000 * tokens / wallMs, unit: 'tokens/s' },
    details: { ...refreshDetails(tokens, concurrency, 0, runs, poolMax), msPerToken: wallMs / tokens }
  })
}

/** A progress bar over every token of every measured run, since one full run takes a minute. */
function runningTotal (progress: Progress) {
  let before = 0
  return {
    onProgress: (done: number) => progress.update(before + done),
    finished: (count: number) => { before += count }
  }
}

async function refreshAgainstIdeal (context: SuiteContext, db: Database, cipher: TokenCipher, size: TokenSizes['refresh']): Promise<CaseOutcome[]> {
  const fake = await startFakeStravaProcess(STRAVA_LATENCY_MS)
  try {
    const athleteIds = await seedDueTokens(db, cipher, fake, size.tokens)
    const deps: RefreshDependencies = {
      db,
      cipher,
      strava: createStravaClient({ baseUrl: fake.url, clientId: fake.clientId, clientSecret: fake.clientSecret })
    }
    // Warms the JIT, the pool and the HTTP connections on a few pages, not a whole minute-long run.
    await refreshDueTokens(deps, { athleteIds: athleteIds.slice(0, 4 * 32), concurrency: 32 })
    const progress = context.progress('tokens: refresh', size.rounds * 3 * size.tokens)
    const total = runningTotal(progress)
    const refreshAt = (concurrency: number, latencyMs = STRAVA_LATENCY_MS) => async (): Promise<RefreshRun> => {
      await makeDue(db, athleteIds)
      await fake.setLatency(latencyMs)
      const started = performance.now()
      const counts = await refreshDueTokens(deps, { concurrency, onProgress: total.onProgress })
      const ms = performance.now() - started
      total.finished(size.tokens)
      return { ms, counts }
    }
    const samples = await alternate({ c8: refreshAt(8), c32: refreshAt(32), ownCost: refreshAt(32, 0) }, { warmup: 0, rounds: size.rounds, settleMs: SETTLE_MS })
    progress.stop()
    const poolMax = context.config.DB_POOL_MAX
    return [
      refreshCase(8, size.tokens, samples.c8, poolMax),
      refreshCase(32, size.tokens, samples.c32, poolMax),
      ownCostCase(32, size.tokens, samples.ownCost, poolMax)
    ]
  } finally {
    await fake.close()
  }
}

export const tokensSuite: Suite = {
  name: 'tokens',
  summary: 'batch save of Strava tokens against row-by-row saves; batch refresh against the ideal n x latency / concurrency, with the fake Strava in a child process',
  run: async context => {
    const size = sizes[context.mode]
    const cipher = tokenCipherFromConfig(context.config)
    const { db } = createDatabase(context.databaseUrl, context.config, err => context.log(`tokens: idle connection lost: ${err.message}`))
    try {
      return [
        ...await batchAgainstRowByRow(context, db, cipher, size.save),
        ...await refreshAgainstIdeal(context, db, cipher, size.refresh)
      ]
    } finally {
      await db.destroy()
    }
  }
}
