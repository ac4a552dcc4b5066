/**
 * Wilson score interval for a binomial proportion: unlike the normal interval it
 * stays inside [0, 1] and is not degenerate at 0 or n successes, where the
 * attribution rates of the race fingerprint sit.
 */
export interface RateInterval {
  /** k / n. */
  readonly rate: number
  readonly low: number
  readonly high: number
}

/** 97.5 % quantile of the standard normal: a two-sided 95 % interval. */
const Z95 = 1.959963984540054

/** Wilson 95 % interval of k successes in n trials (n >= 1). */
export function wilson(k: number, n: number, z = Z95): RateInterval {
  if (!(Number.isInteger(k) && Number.isInteger(n) && n >= 1 && k >= 0 && k <= n)) {
    throw new RangeError(`wilson: need integers 0 <= k <= n, n >= 1 (got k = ${k}, n = ${n})`)
  }
  const p = k / n
  const z2 = z * z
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n)
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))
  // At k = 0 (k = n) the bound is exactly 0 (1); clamp rounding.
  return { rate: p, low: k === 0 ? 0 : Math.max(0, centre - half), high: k === n ? 1 : Math.min(1, centre + half) }
}
