import { setTimeout as sleep } from 'node:timers/promises'
import type { Config } from '../src/config.ts'

/**
 * `quick` is what `npm run bench` runs (every suite within a ~20-30 s budget), `full` the sizes
 * the issues name, `smoke` just enough to prove a suite works end to end (tests, CI).
 */
export type Mode = 'smoke' | 'quick' | 'full'

export interface Progress {
  update: (done: number) => void
  stop: () => void
}

/** What the harness hands a suite: a migrated database of the suite's own, dropped afterwards. */
export interface SuiteContext {
  mode: Mode
  /** Connection string of this suite's own database, migrated to the latest schema. */
  databaseUrl: string
  /** A production-like configuration with secrets generated for this run only. */
  config: Config
  progress: (label: string, total: number) => Progress
  /** Status lines on stderr, so stdout keeps only the table. */
  log: (message: string) => void
}

export interface Suite {
  /** Lower-case, as typed after `npm run bench --`. */
  name: string
  summary: string
  run: (context: SuiteContext) => Promise<CaseOutcome[]>
}

export interface Throughput {
  value: number
  unit: string
}

export type RatioUnit = 'x' | '%'

export interface Ratio {
  value: number
  unit: RatioUnit
  /** What over what, e.g. "new pg.Client ms / pool ms". */
  of: string
}

export type CaseStatus = 'measured' | 'not run' | 'failed'

export interface CaseResult {
  suite: string
  case: string
  status: CaseStatus
  /** Median of the measured runs, in milliseconds (per operation or per request). */
  medianMs: number | null
  p99Ms: number | null
  /** How many measured runs the median is taken over (warm-up excluded). */
  runs: number
  throughput: Throughput | null
  ratio: Ratio | null
  /** e.g. ">= 100x"; null for a case that only reports a figure. */
  target: string | null
  /** Null when there is no target or the case did not run. */
  met: boolean | null
  details: Record<string, number | string>
  note: string | null
}

/** A suite's result for one case; the harness adds the suite's name. */
export type CaseOutcome = Omit<CaseResult, 'suite'>

export interface Target {
  text: string
  isMet: (ratio: number) => boolean
}

export const atLeast = (value: number, unit: RatioUnit): Target =>
  ({ text: `>= ${value}${unit}`, isMet: ratio => ratio >= value })

export const atMost = (value: number, unit: RatioUnit): Target =>
  ({ text: `<= ${value}${unit}`, isMet: ratio => ratio <= value })

/** A target that also needs a condition besides the ratio, such as zero errors. */
export const andAlso = (target: Target, text: string, holds: boolean): Target =>
  ({ text: `${target.text}, ${text}`, isMet: ratio => target.isMet(ratio) && holds })

export interface MeasuredCase {
  case: string
  medianMs: number
  p99Ms?: number
  runs: number
  throughput?: Throughput
  ratio?: Ratio
  target?: Target
  details?: Record<string, number | string>
  note?: string
}

export function measured (input: MeasuredCase): CaseOutcome {
  if (input.target && !input.ratio) throw new Error(`case "${input.case}": a target is checked against a ratio`)
  return {
    case: input.case,
    status: 'measured',
    medianMs: input.medianMs,
    p99Ms: input.p99Ms ?? null,
    runs: input.runs,
    throughput: input.throughput ?? null,
    ratio: input.ratio ?? null,
    target: input.target?.text ?? null,
    met: input.target && input.ratio ? input.target.isMet(input.ratio.value) : null,
    details: input.details ?? {},
    note: input.note ?? null
  }
}

/** A case that could not be measured, with the reason in plain words. */
export function notRun (caseName: string, reason: string, target?: Target): CaseOutcome {
  return {
    case: caseName,
    status: 'not run',
    medianMs: null,
    p99Ms: null,
    runs: 0,
    throughput: null,
    ratio: null,
    target: target?.text ?? null,
    met: null,
    details: {},
    note: reason
  }
}

export function median (values: readonly number[]): number {
  return percentile(values, 50)
}

/** Linear interpolation between the closest ranks. */
export function percentile (values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error('percentile of no values')
  const sorted = [...values].sort((a, b) => a - b)
  const rank = (p / 100) * (sorted.length - 1)
  const below = Math.floor(rank)
  const above = Math.min(below + 1, sorted.length - 1)
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (rank - below)
}

/** Wall time of one call, in milliseconds. */
export async function timed (run: () => Promise<unknown>): Promise<number> {
  const started = performance.now()
  await run()
  return performance.now() - started
}

export interface AlternateOptions {
  /** Unrecorded calls of each side before measuring: JIT, caches, pools. */
  warmup: number
  rounds: number
  /**
   * Pause after each side, so one side's aftermath (a server still reaping closed backends,
   * a garbage collection) is not charged to the next on a small machine.
   */
  settleMs?: number
  progress?: Progress
}

/**
 * Measures two or more sides in the same run, in turn (A B A B ...), so that drift in the
 * machine (other load, caches, autovacuum) hits every side alike. Each side returns its own
 * sample (a time from `timed`, or a load-test summary); the samples come back per side.
 */
export async function alternate<K extends string, T> (
  sides: Record<K, () => Promise<T>>,
  { warmup, rounds, settleMs = 0, progress }: AlternateOptions
): Promise<Record<K, T[]>> {
  const names = Object.keys(sides) as K[]
  const runSide = async (name: K) => {
    const sample = await sides[name]()
    if (settleMs > 0) await sleep(settleMs)
    return sample
  }
  for (let i = 0; i < warmup; i++) {
    for (const name of names) await runSide(name)
  }
  const samples = Object.fromEntries(names.map(name => [name, [] as T[]])) as Record<K, T[]>
  for (let round = 0; round < rounds; round++) {
    for (const name of names) samples[name].push(await runSide(name))
    progress?.update(round + 1)
  }
  progress?.stop()
  return samples
}
