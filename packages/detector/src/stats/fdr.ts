/**
 * False-discovery-rate control across many detections (keys, windows, accounts):
 * the Benjamini–Hochberg step-up procedure and its Benjamini–Yekutieli variant.
 */
import { requireProbability } from './validate.js'

/** Options of the Benjamini–Hochberg procedures. */
export interface FdrOptions {
  /**
   * 'positive' (default): the p-values are independent or positively dependent
   * (PRDS), where plain BH controls the FDR at q. 'arbitrary': any dependence;
   * q is divided by the harmonic number H_m (Benjamini & Yekutieli 2001).
   */
  dependence?: 'positive' | 'arbitrary'
  /**
   * How many hypotheses were tested in all (m), when the p-values given are only
   * some of them; default: as many as given. Every one left out must have p > q:
   * none of those could be rejected (the cut-off r·q′/m is at most q), and the ranks
   * of those given are then their ranks among all m, so the result is the one the
   * whole list gives. A scan of billions of documents keeps only its p ≤ q.
   */
  tested?: number
}

/** Result of a Benjamini–Hochberg procedure. */
export interface FdrResult {
  /** rejected[i] = 1 if hypothesis i (input order) is rejected, else 0. */
  rejected: Uint8Array
  /**
   * The step-up cut-off r·q′/m (q′ = q, or q/H_m under arbitrary dependence) for
   * the largest rank r whose sorted p-value is at or below it; every p-value
   * ≤ threshold is rejected. 0 when nothing is rejected.
   */
  threshold: number
  /** Number of rejections r. */
  count: number
}

/** Result of {@link benjaminiHochbergLog}: as FdrResult, plus the cut-off as a log. */
export interface FdrLogResult extends FdrResult {
  /** ln threshold (−Infinity when nothing is rejected); threshold itself may underflow. */
  logThreshold: number
}

/**
 * H_m = 1 + 1/2 + … + 1/m. Summed smallest-first up to 1e6 terms; beyond, the
 * asymptotic series ln m + γ + 1/(2m) − 1/(12m²) + 1/(120m⁴), exact to double precision there.
 */
export function harmonicNumber(m: number): number {
  if (!Number.isSafeInteger(m) || m < 0) throw new RangeError(`harmonicNumber: m must be an integer >= 0, got ${m}`)
  if (m <= 1e6) {
    let h = 0
    for (let i = m; i >= 1; i--) h += 1 / i
    return h
  }
  const EULER_GAMMA = 0.57721566490153286061
  const m2 = m * m
  return Math.log(m) + EULER_GAMMA + 1 / (2 * m) - 1 / (12 * m2) + 1 / (120 * m2 * m2)
}

/** m: the `tested` option, or the number of p-values given. */
function testedCount(fn: string, given: number, options: FdrOptions): number {
  const m = options.tested ?? given
  if (!Number.isSafeInteger(m) || m < given) throw new RangeError(`${fn}: tested must be an integer >= the ${given} p-values given, got ${m}`)
  return m
}

function effectiveQ(fn: string, q: number, m: number, options: FdrOptions): number {
  if (!(q > 0 && q <= 1)) throw new RangeError(`${fn}: q must be in (0, 1], got ${q}`)
  const dependence = options.dependence ?? 'positive'
  if (dependence !== 'positive' && dependence !== 'arbitrary') {
    throw new RangeError(`${fn}: unknown dependence "${String(dependence)}"`)
  }
  return dependence === 'arbitrary' ? q / harmonicNumber(m) : q
}

/**
 * Step-up search shared by both variants: the largest rank r (1-based) with
 * sorted[r−1] ≤ critical(r), or 0.
 */
function stepUp(sorted: Float64Array, critical: (rank: number) => number): number {
  for (let r = sorted.length; r >= 1; r--) if (sorted[r - 1] <= critical(r)) return r
  return 0
}

/**
 * Benjamini–Hochberg step-up procedure at FDR level q: reject the r smallest
 * p-values, r the largest rank with p_(r) ≤ r·q/m.
 *
 * @param pValues - p-values in [0, 1] (input order is kept in the result)
 * @param q - target false discovery rate in (0, 1]
 * @throws RangeError for a p-value outside [0, 1] or NaN, or q outside (0, 1].
 */
export function benjaminiHochberg(pValues: ArrayLike<number>, q: number, options: FdrOptions = {}): FdrResult {
  const fn = 'benjaminiHochberg'
  const given = pValues.length
  for (let i = 0; i < given; i++) requireProbability(pValues[i], fn, `pValues[${i}]`)
  const m = testedCount(fn, given, options)
  const qq = effectiveQ(fn, q, m, options)
  const sorted = Float64Array.from(pValues).sort()
  const r = stepUp(sorted, (rank) => (rank * qq) / m)
  const rejected = new Uint8Array(given)
  if (r === 0) return { rejected, threshold: 0, count: 0 }
  // Rejecting p ≤ p_(r) (rather than ≤ r·q/m) makes the result follow the ranks
  // exactly, whatever the rounding of r·q/m.
  const cut = sorted[r - 1]
  for (let i = 0; i < given; i++) rejected[i] = pValues[i] <= cut ? 1 : 0
  return { rejected, threshold: (r * qq) / m, count: r }
}

/**
 * {@link benjaminiHochberg} on natural-log p-values, for p-values that underflow
 * as numbers (the detector's are often below 1e-308): p_(r) ≤ r·q/m is tested as
 * ln p_(r) ≤ ln r + ln q − ln m.
 *
 * @param logPValues - ln p-values, each ≤ 0 (−Infinity allowed)
 * @throws RangeError for a positive or NaN log p-value, or q outside (0, 1].
 */
export function benjaminiHochbergLog(
  logPValues: ArrayLike<number>,
  q: number,
  options: FdrOptions = {},
): FdrLogResult {
  const fn = 'benjaminiHochbergLog'
  const given = logPValues.length
  for (let i = 0; i < given; i++) {
    if (!(logPValues[i] <= 0)) throw new RangeError(`${fn}: logPValues[${i}] must be <= 0, got ${logPValues[i]}`)
  }
  const m = testedCount(fn, given, options)
  const logQ = Math.log(effectiveQ(fn, q, m, options))
  const logM = Math.log(m)
  const sorted = Float64Array.from(logPValues).sort()
  const r = stepUp(sorted, (rank) => Math.log(rank) + logQ - logM)
  const rejected = new Uint8Array(given)
  if (r === 0) return { rejected, threshold: 0, logThreshold: -Infinity, count: 0 }
  const cut = sorted[r - 1]
  for (let i = 0; i < given; i++) rejected[i] = logPValues[i] <= cut ? 1 : 0
  const logThreshold = Math.log(r) + logQ - logM
  return { rejected, threshold: Math.exp(logThreshold), logThreshold, count: r }
}
