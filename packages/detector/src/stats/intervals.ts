/**
 * Exact (Clopper–Pearson) confidence intervals for a binomial proportion, used
 * to assert that an empirical false-positive rate is compatible with its
 * nominal value.
 */
import { logRegIncBeta, logRegIncBetaUpper } from './incbeta.js'
import { requireInteger } from './validate.js'

/** A two-sided confidence interval [lower, upper]. */
export interface ConfidenceInterval {
  lower: number
  upper: number
}

/**
 * Solves f(x) = target on [0, 1] for f increasing, by bisection.
 *
 * @remarks The roots can be as small as 1e-11 (k = 1, n = 1e9), so plain halving
 * of [0, 1] would need ~90 steps before it even resolves the leading digit.
 * Instead the search steps down by 16× while the bracket touches 0, bisects
 * geometrically while the bracket spans more than a factor 2, and arithmetically
 * after that, stopping when no double lies strictly between the ends: the root
 * to the last ulp in ~70 evaluations.
 */
function solveIncreasing(f: (x: number) => number, target: number): number {
  let lo = 0
  let hi = 1
  for (let i = 0; i < 4000; i++) {
    const mid = lo === 0 ? hi / 16 : hi / lo > 2 ? Math.sqrt(lo * hi) : lo + (hi - lo) / 2
    if (mid <= lo || mid >= hi) break
    if (f(mid) < target) lo = mid
    else hi = mid
  }
  return lo === 0 ? hi : lo + (hi - lo) / 2
}

/**
 * Clopper–Pearson exact confidence interval for the success probability of a
 * binomial, given k successes in n trials: the set of p for which neither
 * one-sided binomial test rejects at level (1 − confidence)/2.
 *
 * lower solves P(X ≥ k | p) = I_p(k, n−k+1) = α/2 (0 when k = 0);
 * upper solves P(X ≤ k | p) = 1 − I_p(k+1, n−k) = α/2 (1 when k = n).
 * Both equations are solved on the log of the small tail, so they stay exact
 * for tiny α and for n up to 1e9.
 *
 * @param k - successes, integer in [0, n]
 * @param n - trials, integer ≥ 0 (n = 0 gives [0, 1])
 * @param confidence - coverage in (0, 1), default 0.95
 * @throws RangeError for k, n not integers with 0 ≤ k ≤ n, or confidence outside (0, 1).
 */
export function clopperPearson(k: number, n: number, confidence = 0.95): ConfidenceInterval {
  requireInteger(n, 'clopperPearson', 'n', 0)
  requireInteger(k, 'clopperPearson', 'k', 0)
  if (k > n) throw new RangeError(`clopperPearson: k (${k}) must be <= n (${n})`)
  if (!(confidence > 0 && confidence < 1)) {
    throw new RangeError(`clopperPearson: confidence must be in (0, 1), got ${confidence}`)
  }
  const logHalfAlpha = Math.log((1 - confidence) / 2)
  const lower = k === 0 ? 0 : solveIncreasing((x) => logRegIncBeta(k, n - k + 1, x), logHalfAlpha)
  // P(X ≤ k | p) falls as p rises, so solve for its negation.
  const upper = k === n ? 1 : solveIncreasing((x) => -logRegIncBetaUpper(k + 1, n - k, x), -logHalfAlpha)
  return { lower, upper }
}
