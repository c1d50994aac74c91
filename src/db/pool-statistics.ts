import type { DatabaseObserver } from './instrumentation.ts'

/** Percentiles are taken over this many most recent samples, so memory stays fixed. */
const RECENT_SAMPLES = 1024
/** How many distinct slow statements the status route lists. */
const SLOWEST_KEPT = 10

/** A fixed-size ring of the latest samples. */
export class RecentSamples {
  readonly #samples: Float64Array
  #next = 0
  #filled = 0

  constructor (capacity = RECENT_SAMPLES) {
    this.#samples = new Float64Array(capacity)
  }

  add (value: number): void {
    this.#samples[this.#next] = value
    this.#next = (this.#next + 1) % this.#samples.length
    this.#filled = Math.min(this.#filled + 1, this.#samples.length)
  }

  /** Nearest-rank percentile of the retained samples; 0 when there are none. */
  percentile (p: number): number {
    if (this.#filled === 0) return 0
    const sorted = this.#samples.slice(0, this.#filled).sort()
    return sorted[Math.min(this.#filled - 1, Math.ceil((p / 100) * this.#filled) - 1)] ?? 0
  }
}

export interface SlowStatement { sqlFingerprint: string, ms: number }

/**
 * The worst duration seen per statement, for at most `limit` statements: a faster statement
 * enters only by pushing out the fastest one listed.
 */
export class SlowestStatements {
  readonly #worst = new Map<string, number>()

  constructor (readonly limit = SLOWEST_KEPT) {}

  add (fingerprint: string, ms: number): void {
    const known = this.#worst.get(fingerprint)
    if (known !== undefined) {
      if (ms > known) this.#worst.set(fingerprint, ms)
      return
    }
    if (this.#worst.size < this.limit) {
      this.#worst.set(fingerprint, ms)
      return
    }
    const [fastest, fastestMs] = [...this.#worst].reduce((a, b) => (b[1] < a[1] ? b : a))
    if (ms > fastestMs) {
      this.#worst.delete(fastest)
      this.#worst.set(fingerprint, ms)
    }
  }

  list (): SlowStatement[] {
    return [...this.#worst]
      .sort((a, b) => b[1] - a[1])
      .map(([sqlFingerprint, ms]) => ({ sqlFingerprint, ms: round(ms) }))
  }
}

const round = (ms: number) => Math.round(ms * 100) / 100

/** The in-process aggregate behind the status route: counters, recent percentiles, slowest statements. */
export class PoolStatistics implements DatabaseObserver {
  readonly #acquireWaits = new RecentSamples()
  #maxAcquireWaitMs = 0
  readonly #queryDurations = new RecentSamples()
  #queryCount = 0
  #queryTotalMs = 0
  readonly #slowest = new SlowestStatements()
  #lastSuccessAt = -Infinity
  connectionsCreated = 0
  connectionsRemoved = 0
  errors = 0

  connectionAcquired (waitMs: number): void {
    this.#acquireWaits.add(waitMs)
    this.#maxAcquireWaitMs = Math.max(this.#maxAcquireWaitMs, waitMs)
  }

  acquireFailed (waitMs: number): void {
    this.connectionAcquired(waitMs)
    this.errors++
  }

  connectionCreated (): void { this.connectionsCreated++ }
  connectionRemoved (): void { this.connectionsRemoved++ }
  poolError (): void { this.errors++ }

  queryExecuted (fingerprint: string, durationMs: number, failed: boolean): void {
    if (!failed) this.#lastSuccessAt = performance.now()
    this.#queryCount++
    this.#queryTotalMs += durationMs
    this.#queryDurations.add(durationMs)
    this.#slowest.add(fingerprint, durationMs)
  }

  /** Whether a statement succeeded in the last `ms` milliseconds. */
  succeededWithin (ms: number): boolean {
    return performance.now() - this.#lastSuccessAt <= ms
  }

  acquireWaitMs () {
    return {
      p50: round(this.#acquireWaits.percentile(50)),
      p95: round(this.#acquireWaits.percentile(95)),
      max: round(this.#maxAcquireWaitMs)
    }
  }

  queries () {
    return {
      count: this.#queryCount,
      avgMs: this.#queryCount === 0 ? 0 : round(this.#queryTotalMs / this.#queryCount),
      p95Ms: round(this.#queryDurations.percentile(95)),
      slowest: this.#slowest.list()
    }
  }
}
