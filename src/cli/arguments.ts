import { InvalidArgumentError } from 'commander'

/** Collects `--athlete <id>` values, given once with several ids or repeated. */
export function athleteIds (value: string, previous: number[] = []): number[] {
  const id = Number(value)
  if (!Number.isSafeInteger(id) || id < 1) throw new InvalidArgumentError('an athlete id is a positive integer')
  return [...previous, id]
}

export const integer = (min: number, max: number) => (value: string) => {
  const n = Number(value)
  if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`)
  return n
}
