import { InvalidArgumentError } from 'commander'

/**
 * Parsers for the lab's numeric options: NaN, non-numbers and values outside the
 * stated range are rejected, so commander names the option and the command exits 2
 * before any work starts (a budget of 1e9 or 0 workers is a typo, not a request).
 */
export function integerOption(name: string, min: number, max: number) {
  return (v: string): number => {
    const x = v.trim() === '' ? NaN : Number(v)
    if (!Number.isInteger(x) || x < min || x > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`)
    return x
  }
}

/** A real number in [min, max]. */
export function numberOption(name: string, min: number, max: number) {
  return (v: string): number => {
    const x = v.trim() === '' ? NaN : Number(v)
    if (!(Number.isFinite(x) && x >= min && x <= max)) throw new InvalidArgumentError(`${name} must be a number in [${min}, ${max}]`)
    return x
  }
}
