import cliProgress from 'cli-progress'

export interface OutputOptions {
  json?: boolean
}

export interface ProgressBar {
  update: (done: number) => void
  /** Shows a line of detail after the ETA, such as the work done within the items counted. */
  detail: (text: string) => void
  stop: () => void
}

/** A progress bar with rate and ETA on a terminal; nothing under CI, --json or a pipe. */
export function progressBar (label: string, total: number, { json }: OutputOptions): ProgressBar {
  if (json || process.env.CI === 'true' || !process.stderr.isTTY) return { update: () => {}, detail: () => {}, stop: () => {} }
  const bar = new cliProgress.SingleBar({
    format: `${label} [{bar}] {percentage}% | {value}/{total} | {rate}/s | ETA {eta_formatted}{detail}`,
    stream: process.stderr,
    hideCursor: true
  }, cliProgress.Presets.shades_classic)
  const started = Date.now()
  bar.start(total, 0, { rate: '0', detail: '' })
  return {
    update: done => bar.update(done, { rate: (done / Math.max((Date.now() - started) / 1000, 0.001)).toFixed(0) }),
    detail: text => bar.update({ detail: ` | ${text}` }),
    stop: () => bar.stop()
  }
}

/** Prints a command's result: a two-column table for people, or one JSON document with --json. */
export function printResult (result: Record<string, unknown>, { json }: OutputOptions): void {
  if (json) {
    process.stdout.write(JSON.stringify(result) + '\n')
    return
  }
  const rows = Object.entries(result).map(([key, value]) => [key, typeof value === 'object' ? JSON.stringify(value) : String(value)])
  const width = Math.max(...rows.map(([key]) => key!.length))
  for (const [key, value] of rows) process.stdout.write(`${key!.padEnd(width)}  ${value}\n`)
}
