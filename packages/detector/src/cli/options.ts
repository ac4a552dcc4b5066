import { InvalidArgumentError } from 'commander'

/**
 * Parsers for numeric command-line options. Each rejects NaN, non-numbers and
 * values outside a stated range, so commander reports
 * `option '--budget <n>' argument '0' is invalid. --budget must be ...` and the
 * command exits 2 before any work starts. Ranges are what a run can use: a
 * 1e9 budget or 0 workers is a typo, not a request.
 */
export function integerOption(name: string, min: number, max: number) {
  return (v: string): number => {
    const x = v.trim() === '' ? NaN : Number(v)
    if (!Number.isInteger(x) || x < min || x > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`)
    return x
  }
}

/** A real number in [min, max] (or (min, max] etc. with `open`). */
export function numberOption(name: string, min: number, max: number, open: { min?: boolean; max?: boolean } = {}) {
  return (v: string): number => {
    const x = v.trim() === '' ? NaN : Number(v)
    const ok = Number.isFinite(x) && (open.min ? x > min : x >= min) && (open.max ? x < max : x <= max)
    if (!ok) throw new InvalidArgumentError(`${name} must be a number in ${open.min ? '(' : '['}${min}, ${max}${open.max ? ')' : ']'}`)
    return x
  }
}
