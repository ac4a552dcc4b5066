/**
 * One-sample Kolmogorov–Smirnov test against Uniform(0, 1): the check that null
 * p-values (or any probability-integral transform) are uniform.
 */
import { kolmogorovUpperTailLog, type KolmogorovMethod } from './kolmogorov.js'

/** Result of {@link ksUniform}. */
export interface KsResult {
  /** D_n = sup_x |F_n(x) − x|. */
  statistic: number
  /** P(D_n ≥ statistic) under uniformity (0 only if it underflows; see logPValue). */
  pValue: number
  /** ln of pValue, finite far below the double range. */
  logPValue: number
  /** Which evaluation of the KS distribution was used (see kolmogorov.ts). */
  method: KolmogorovMethod
}

/**
 * The two-sided KS statistic of `values` against Uniform(0, 1). Values outside
 * [0, 1] are allowed and measured against the uniform CDF clamped to [0, 1].
 * @throws RangeError for an empty sample or a NaN value.
 */
export function ksStatisticUniform(values: ArrayLike<number>): number {
  const n = values.length
  if (n === 0) throw new RangeError('ksStatisticUniform: empty sample')
  const u = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const v = values[i]
    if (Number.isNaN(v)) throw new RangeError(`ksStatisticUniform: values[${i}] is NaN`)
    u[i] = v < 0 ? 0 : v > 1 ? 1 : v
  }
  u.sort()
  let d = 0
  for (let i = 0; i < n; i++) {
    // The empirical CDF jumps from i/n to (i+1)/n at u[i]; check both sides of the step.
    const above = (i + 1) / n - u[i]
    const below = u[i] - i / n
    if (above > d) d = above
    if (below > d) d = below
  }
  return d
}

/**
 * Kolmogorov–Smirnov test of `values` against Uniform(0, 1).
 *
 * The p-value is exact (Durbin/Marsaglia–Tsang–Wang matrix, ~1e-9 relative) for
 * n ≲ 1500 and wherever p ≤ 1e-3 (Smirnov's sum, in log space, so it stays
 * usable far below 1e-308); for larger n with p > 1e-3 it is the Pelz–Good
 * asymptotic expansion, ≲ 1e-6 relative there. `method` says which; see
 * kolmogorov.ts. Ties (impossible for a continuous null) are not corrected for.
 *
 * @throws RangeError for an empty sample or a NaN value.
 */
export function ksUniform(values: ArrayLike<number>): KsResult {
  const statistic = ksStatisticUniform(values)
  const { logPValue, method } = kolmogorovUpperTailLog(values.length, statistic)
  return { statistic, pValue: Math.exp(logPValue), logPValue, method }
}
