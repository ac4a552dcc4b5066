/**
 * Argument checks shared by the statistics functions. They throw instead of
 * letting a NaN or out-of-range value flow into a p-value: a wrong p-value that
 * looks plausible is worse than an exception.
 */

/** Throws RangeError unless x > 0 (and, if `finite`, x < Infinity). */
export function requirePositive(x: number, fn: string, name: string, finite = false): void {
  if (!(x > 0) || (finite && x === Infinity)) {
    throw new RangeError(`${fn}: ${name} must be > 0${finite ? ' and finite' : ''}, got ${x}`)
  }
}

/** Throws RangeError unless x is a probability in [0, 1]. */
export function requireProbability(x: number, fn: string, name: string): void {
  if (!(x >= 0 && x <= 1)) throw new RangeError(`${fn}: ${name} must be in [0, 1], got ${x}`)
}

/** Throws RangeError unless x is a safe integer (and ≥ min, if given). */
export function requireInteger(x: number, fn: string, name: string, min?: number): void {
  if (!Number.isSafeInteger(x) || (min !== undefined && x < min)) {
    throw new RangeError(`${fn}: ${name} must be an integer${min === undefined ? '' : ` >= ${min}`}, got ${x}`)
  }
}

/** Throws RangeError if x is NaN. */
export function requireNotNaN(x: number, fn: string, name: string): void {
  if (Number.isNaN(x)) throw new RangeError(`${fn}: ${name} is NaN`)
}
