/**
 * The detector's p-values, as natural logs.
 *
 * Everything here is exact (no normal approximation): a watermark verdict is
 * argued in the far tail, 1e-6 down to 1e-300 and beyond, where normal
 * approximations are off by orders of magnitude. Results are ln p — finite and
 * ≤ 0, or −Infinity only when p is exactly 0 — because p itself underflows to
 * 0 below ~1e-308; use {@link toPValue} to report them.
 */
import { logRegIncBeta, logRegIncBetaUpper } from './incbeta.js'
import { logRegIncGammaLower, logRegIncGammaUpper } from './incgamma.js'
import { log1mExp } from './logspace.js'
import { requireInteger, requireNotNaN, requirePositive, requireProbability } from './validate.js'

/**
 * ln P(X ≥ k) for X ~ Binomial(n, p): the p-value of seeing k or more "green"
 * tokens out of n when each is green with probability p under the null.
 *
 * @remarks Uses P(X ≥ k) = I_p(k, n−k+1) (regularized incomplete beta). For n up
 * to 1e9 and any k, ln p is accurate to ~1e-14 relative in the tails and ~1e-12
 * at worst near the centre (n = 1e9). Larger n are accepted (up to 2^53); past
 * n·p·(1−p) ≈ 1e10 the lower tail of a tiny p degrades to ~1e-9 (see incbeta.ts).
 * @param k - observed count (integer; k ≤ 0 gives 0, k > n gives −Infinity)
 * @param n - number of trials (integer ≥ 0)
 * @param p - success probability in [0, 1]
 * @throws RangeError for non-integer k or n, negative n, or p outside [0, 1].
 */
export function binomialUpperTailLog(k: number, n: number, p: number): number {
  const fn = 'binomialUpperTailLog'
  requireInteger(k, fn, 'k')
  requireInteger(n, fn, 'n', 0)
  requireProbability(p, fn, 'p')
  if (k <= 0) return 0
  if (k > n || p === 0) return -Infinity
  if (p === 1) return 0
  // P(X = n) = p^n exactly; the general path would get there too, less directly.
  if (k === n) return n * Math.log(p)
  return logRegIncBeta(k, n - k + 1, p)
}

/**
 * ln P(X ≤ k) for X ~ Binomial(n, p), the complement of
 * {@link binomialUpperTailLog}(k + 1, n, p), and just as accurate when small.
 *
 * @param k - integer; k < 0 gives −Infinity, k ≥ n gives 0
 * @throws RangeError for non-integer k or n, negative n, or p outside [0, 1].
 */
export function binomialLowerTailLog(k: number, n: number, p: number): number {
  const fn = 'binomialLowerTailLog'
  requireInteger(k, fn, 'k')
  requireInteger(n, fn, 'n', 0)
  requireProbability(p, fn, 'p')
  if (k < 0) return -Infinity
  if (k >= n || p === 0) return 0
  if (p === 1) return -Infinity
  // P(X = 0) = (1−p)^n; log1p keeps the digits of a small p.
  if (k === 0) return n * Math.log1p(-p)
  return logRegIncBetaUpper(k + 1, n - k, p)
}

/**
 * ln P(G ≥ s) for G ~ Gamma(shape, 1) = ln Q(shape, s): the p-value of a score
 * sum s over `shape` scored tokens whose per-token scores are Exp(1) under the null.
 *
 * @param shape - number of scored tokens (normally an integer ≥ 1; any real > 0 is accepted)
 * @param s - observed score sum; s ≤ 0 gives 0
 * @throws RangeError for shape not positive and finite, or s NaN.
 */
export function gammaUpperTailLog(shape: number, s: number): number {
  requirePositive(shape, 'gammaUpperTailLog', 'shape', true)
  requireNotNaN(s, 'gammaUpperTailLog', 's')
  return logRegIncGammaUpper(shape, s)
}

/**
 * ln P(G ≤ s) for G ~ Gamma(shape, 1) = ln P(shape, s), the complement of
 * {@link gammaUpperTailLog}, accurate when small.
 *
 * @throws RangeError for shape not positive and finite, or s NaN.
 */
export function gammaLowerTailLog(shape: number, s: number): number {
  requirePositive(shape, 'gammaLowerTailLog', 'shape', true)
  requireNotNaN(s, 'gammaLowerTailLog', 's')
  return logRegIncGammaLower(shape, s)
}

/**
 * ln(1 − Φ(z)), the standard normal upper tail, for reporting next to exact
 * p-values.
 *
 * @remarks 1 − Φ(z) = ½ Q(½, z²/2), so this reuses the incomplete gamma (whose
 * continued fraction is the classical erfc continued fraction): accurate to
 * ~1e-15 relative in the log for z = 40, 1e4, 1e100. Only for z > ~1.3e154,
 * where ln p < −1.8e308 is not representable, does it return −Infinity.
 * @throws RangeError if z is NaN.
 */
export function normalUpperTailLog(z: number): number {
  requireNotNaN(z, 'normalUpperTailLog', 'z')
  if (z === Infinity) return -Infinity
  if (z === -Infinity) return 0
  const halfTail = -Math.LN2 + logRegIncGammaUpper(0.5, 0.5 * z * z)
  return z >= 0 ? halfTail : log1mExp(halfTail)
}

/**
 * The z-score (k − np) / √(np(1−p)) of a binomial count, reported beside the
 * exact p-value (never used to compute it).
 * @throws RangeError for k NaN, n not an integer ≥ 1, or p outside (0, 1).
 */
export function binomialZScore(k: number, n: number, p: number): number {
  requireNotNaN(k, 'binomialZScore', 'k')
  requireInteger(n, 'binomialZScore', 'n', 1)
  if (!(p > 0 && p < 1)) throw new RangeError(`binomialZScore: p must be in (0, 1), got ${p}`)
  return (k - n * p) / Math.sqrt(n * p * (1 - p))
}

/**
 * The z-score (s − shape) / √shape of a Gamma(shape, 1) score sum, reported beside
 * the exact p-value (never used to compute it).
 * @throws RangeError for shape not positive and finite, or s NaN.
 */
export function gammaZScore(shape: number, s: number): number {
  requirePositive(shape, 'gammaZScore', 'shape', true)
  requireNotNaN(s, 'gammaZScore', 's')
  return (s - shape) / Math.sqrt(shape)
}

/** A p-value in the two forms a report needs. */
export interface PValue {
  /** e^logP; 0 once p is below the smallest double (~4.9e-324). */
  pValue: number
  /** log10 p, finite however small p is (−Infinity only for p = 0 exactly). */
  log10PValue: number
}

/**
 * Converts ln p to the number and its log10. The log10 form is returned because
 * pValue underflows to 0 below ~1e-308 while log10PValue (e.g. −1234.5) does not.
 * @throws RangeError if logP is NaN or positive.
 */
export function toPValue(logP: number): PValue {
  if (!(logP <= 0)) throw new RangeError(`toPValue: logP must be <= 0, got ${logP}`)
  return { pValue: Math.exp(logP), log10PValue: logP / Math.LN10 }
}
