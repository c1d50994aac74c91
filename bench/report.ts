import { mkdir, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { CaseResult } from './harness.ts'
import type { BenchReport } from './runner.ts'

export const latestResultsFile = fileURLToPath(new URL('results/latest.json', import.meta.url))

/** Three significant figures, without scientific notation or trailing noise. */
export function formatNumber (value: number): string {
  if (value === 0) return '0'
  const magnitude = Math.floor(Math.log10(Math.abs(value)))
  const decimals = Math.max(0, 2 - magnitude)
  return value.toLocaleString('en-US', { maximumFractionDigits: decimals, minimumFractionDigits: 0 })
}

function metCell (result: CaseResult): string {
  if (result.status !== 'measured') return result.status
  if (result.met === null) return ''
  return result.met ? 'yes' : 'NO'
}

function row (result: CaseResult): string[] {
  const ms = (value: number | null) => value === null ? '' : `${formatNumber(value)} ms`
  return [
    result.suite,
    result.case,
    ms(result.medianMs),
    ms(result.p99Ms),
    result.throughput ? `${formatNumber(result.throughput.value)} ${result.throughput.unit}` : '',
    result.ratio ? `${formatNumber(result.ratio.value)}${result.ratio.unit} (${result.ratio.of})` : '',
    result.target ?? '',
    metCell(result)
  ]
}

/** A plain-text table of every case, then the notes of cases that have one. */
export function formatTable (report: BenchReport): string {
  const header = ['suite', 'case', 'median', 'p99', 'throughput', 'ratio', 'target', 'met']
  const rows = [header, ...report.results.map(row)]
  const widths = header.map((_, column) => Math.max(...rows.map(cells => cells[column]!.length)))
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()
  const lines = [line(header), widths.map(width => '-'.repeat(width)).join('  '), ...rows.slice(1).map(line)]
  const notes = report.results.filter(result => result.note)
  if (notes.length > 0) lines.push('', ...notes.map(result => `${result.suite} / ${result.case}: ${result.note}`))
  const { machine, database } = report
  lines.push('', `${report.mode} mode on ${machine.cpus} x ${machine.cpuModel}, ${machine.memoryGiB} GiB, load average ${machine.loadAverage.toFixed(1)} at start, Node ${machine.node}, ${database.kind} ${database.version}`)
  return lines.join('\n') + '\n'
}

/** Four significant figures: the timer's noise is well above that. */
const roundFractions = (_key: string, value: unknown) =>
  typeof value === 'number' && !Number.isInteger(value) ? Number(value.toPrecision(4)) : value

export async function writeReport (report: BenchReport, file = latestResultsFile): Promise<void> {
  await mkdir(dirname(file), { recursive: true })
  await writeFile(file, JSON.stringify(report, roundFractions, 2) + '\n')
}
