/**
 * The null distribution of the two-sided Kolmogorov–Smirnov statistic D_n for a
 * continuous, fully specified distribution: P(D_n ≥ d).
 *
 * Which method answers (reported as `method`):
 * - `exact`: closed forms where they exist (d ≤ 1/n, d ≥ ½), otherwise the
 *   Durbin matrix in the Marsaglia–Tsang–Wang (2003) formulation, used whenever
 *   its O(m³ log n) cost (m ≈ 2nd) fits a budget of 5e7 multiply-adds (~50 ms) —
 *   every p > 1e-3 for n ≲ 1500, small d for larger n. Its CDF carries an
 *   absolute error of 1e-14 … 1e-12 (growing with m), so p = 1 − CDF is good to
 *   ~1e-9 relative down to p = 1e-3, where the next method takes over.
 * - `smirnov`: for p ≤ 1e-3, 2·P(D_n⁺ ≥ d) with Smirnov's exact one-sided sum,
 *   evaluated in log space (so it never underflows). It overstates the
 *   two-sided tail only by P(D⁺ ≥ d and D⁻ ≥ d), relatively ≈ e^(−6nd²):
 *   ≲ 5e-10 at p = 1e-3 and shrinking like p³ below.
 * - `pelz-good`: otherwise (n ≳ 1500, p > 1e-3), the Pelz–Good (1976)
 *   asymptotic expansion to O(n^-3/2): measured against the Durbin matrix, its
 *   relative error there is ≲ 1e-6 (it is 1e-4 … 1e-2 for n < 200, which is why
 *   it is not used for small n). This is the only non-exact branch.
 *
 * References: Marsaglia, Tsang & Wang (2003), J. Stat. Softw. 8(18); Simard &
 * L'Ecuyer (2011), J. Stat. Softw. 39(11); the Pelz–Good sums follow SciPy's
 * `scipy/stats/_ksstats.py` (BSD-3-Clause).
 */
import { logBinomialPmfRaw, stirlerr } from './loader.js'
import { log1mExp, logSumExp } from './logspace.js'
import { requireInteger, requireNotNaN } from './validate.js'

/** How {@link kolmogorovUpperTailLog} obtained its answer. */
export type KolmogorovMethod = 'exact' | 'smirnov' | 'pelz-good'

/** A two-sided KS tail probability, as a log and with its provenance. */
export interface KolmogorovTail {
  /** ln P(D_n ≥ d) */
  logPValue: number
  method: KolmogorovMethod
}

// Durbin-matrix work budget in multiply-adds (~50 ms in V8), and the p-value
// below which Smirnov's one-sided sum is more accurate than 1 − CDF.
const DURBIN_BUDGET = 5e7
const LN_TAIL_SWITCH = Math.log(1e-3)

/** ln(n!/n^n) = ½ ln(2πn) − n + stirlerr(n), with no n ln n to cancel. */
function logFactorialOverPower(n: number): number {
  return 0.5 * Math.log(2 * Math.PI * n) - n + stirlerr(n)
}

/**
 * ln P(D_n⁺ ≥ d), Smirnov's exact one-sided tail:
 * d Σ_{j=0}^{⌊n(1−d)⌋} C(n,j) (d + j/n)^(j−1) (1 − d − j/n)^(n−j).
 * Each term is a binomial probability at p_j = d + j/n divided by p_j, so Loader's
 * form evaluates it without the cancellation of ln C(n,j) + … at large n.
 */
export function logSmirnovUpperTail(n: number, d: number): number {
  requireInteger(n, 'logSmirnovUpperTail', 'n', 1)
  requireNotNaN(d, 'logSmirnovUpperTail', 'd')
  if (d <= 0) return 0
  if (d >= 1) return -Infinity
  const jMax = Math.floor(n * (1 - d))
  const terms = new Float64Array(jMax + 1)
  for (let j = 0; j <= jMax; j++) {
    const p = d + j / n
    const q = 1 - d - j / n
    terms[j] = q > 0 ? logBinomialPmfRaw(j, n - j, p, q) - Math.log(p) : -Infinity
  }
  return Math.log(d) + logSumExp(terms)
}

/** m × m matrix product C = A·B (row-major), i-k-j order for cache locality. */
function matMul(A: Float64Array, B: Float64Array, m: number): Float64Array {
  const C = new Float64Array(m * m)
  for (let i = 0; i < m; i++) {
    const rc = i * m
    for (let k = 0; k < m; k++) {
      const a = A[rc + k]
      if (a === 0) continue
      const rb = k * m
      for (let j = 0; j < m; j++) C[rc + j] += a * B[rb + j]
    }
  }
  return C
}

/**
 * Rescales M in place by a power of two (exact) so its largest entry is ~1, and
 * returns the natural log of the factor removed. H^n grows like e^n, far past
 * the double range, so the scale is carried separately as a log.
 */
function normalise(M: Float64Array): number {
  let max = 0
  for (let i = 0; i < M.length; i++) if (Math.abs(M[i]) > max) max = Math.abs(M[i])
  if (max === 0) return 0
  const e = Math.round(Math.log2(max))
  if (e === 0) return 0
  const f = 2 ** -e
  for (let i = 0; i < M.length; i++) M[i] *= f
  return e * Math.LN2
}

/** Multiply-adds the Durbin matrix method needs for (n, d). */
function durbinCost(n: number, d: number): number {
  const m = 2 * Math.ceil(n * d) - 1
  return m ** 3 * 2 * Math.ceil(Math.log2(n + 1))
}

/**
 * ln P(D_n < d) by Durbin's matrix: with d = (k − h)/n, 0 ≤ h < 1, the CDF is
 * n!/n^n · (H^n)_{kk} for an m × m matrix H, m = 2k − 1 (Marsaglia, Tsang & Wang).
 */
function logDurbinCdf(n: number, d: number): number {
  const nd = n * d
  const k = Math.ceil(nd)
  const h = k - nd
  const m = 2 * k - 1
  const H = new Float64Array(m * m)
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) H[i * m + j] = i - j + 1 < 0 ? 0 : 1
  for (let i = 0; i < m; i++) {
    H[i * m] -= h ** (i + 1)
    H[(m - 1) * m + i] -= h ** (m - i)
  }
  H[(m - 1) * m] += 2 * h - 1 > 0 ? (2 * h - 1) ** m : 0
  // Divide by (i−j+1)!; entries far below the diagonal underflow harmlessly to 0.
  for (let i = 0; i < m; i++) {
    for (let j = 0; j <= i; j++) {
      let v = H[i * m + j]
      for (let g = 2; g <= i - j + 1 && v !== 0; g++) v /= g
      H[i * m + j] = v
    }
  }
  let base: Float64Array = H
  let baseLog = normalise(base)
  let acc: Float64Array | null = null
  let accLog = 0
  for (let e = n; e > 0; e = Math.floor(e / 2)) {
    if (e % 2 === 1) {
      acc = acc === null ? base.slice() : matMul(acc, base, m)
      accLog += baseLog
      accLog += normalise(acc)
    }
    if (e > 1) {
      base = matMul(base, base, m)
      baseLog = 2 * baseLog + normalise(base)
    }
  }
  const centre = (acc as Float64Array)[(k - 1) * m + (k - 1)]
  return Math.min(0, Math.log(centre) + accLog + logFactorialOverPower(n))
}

const PI2 = Math.PI ** 2
const PI4 = Math.PI ** 4
const PI6 = Math.PI ** 6
const SQRT2PI = Math.sqrt(2 * Math.PI)

/**
 * Pelz–Good asymptotic P(D_n ≤ d) ≈ K0(z) + K1(z)/√n + K2(z)/n + K3(z)/n^(3/2),
 * z = d√n, with each K_i in its Jacobi-theta form (fast for all z of interest).
 */
function pelzGoodCdf(n: number, d: number): number {
  const z = Math.sqrt(n) * d
  const z2 = z * z
  const z4 = z2 * z2
  const z6 = z4 * z2
  const qlog = -PI2 / 8 / z2
  if (qlog < -708) return 0
  const q = Math.exp(qlog)
  const k1a = -z2
  const k1b = PI2 / 4
  const k2a = 6 * z6 + 2 * z4
  const k2b = ((2 * z4 - 5 * z2) * PI2) / 4
  const k2c = (PI4 * (1 - 2 * z2)) / 16
  const k3d = (PI6 * (5 - 30 * z2)) / 64
  const k3c = (PI4 * (-60 * z2 + 212 * z4)) / 16
  const k3b = (PI2 * (135 * z4 - 96 * z6)) / 4
  const k3a = -30 * z6 - 90 * z4 * z4
  // Σ over odd m = 2k−1 of c_i(m) q^(m²), by Horner in q^8k.
  const K = [0, 0, 0, 0]
  const maxk = Math.ceil((16 * z) / Math.PI)
  for (let k = maxk; k >= 1; k--) {
    const m2 = (2 * k - 1) ** 2
    const m4 = m2 * m2
    const qp = q ** (8 * k)
    K[0] = K[0] * qp + 1
    K[1] = K[1] * qp + k1a + k1b * m2
    K[2] = K[2] * qp + k2a + k2b * m2 + k2c * m4
    K[3] = K[3] * qp + k3a + k3b * m2 + k3c * m4 + k3d * m4 * m2
  }
  const den = [z, 6 * z4, 72 * z4 * z2 * z, 6480 * z4 * z4 * z2]
  for (let i = 0; i < 4; i++) K[i] = (K[i] * q * SQRT2PI) / den[i]
  // The extra sums over all integers k in K2 and K3.
  const qq = Math.exp(-PI2 / 2 / z2)
  let s2 = 0
  let s3 = 0
  for (let k = maxk; k >= 1; k--) {
    const k2 = k * k
    const w = k2 * qq ** k2
    s2 += w
    s3 += (3 * z2 - PI2 * k2) * w
  }
  K[2] += (s2 * PI2 * SQRT2PI) / (-36 * z2 * z)
  K[3] += (s3 * PI2 * SQRT2PI) / (216 * z6)
  return K[0] + K[1] / Math.sqrt(n) + K[2] / n + K[3] / (n * Math.sqrt(n))
}

/**
 * ln P(D_n ≥ d) for the two-sided one-sample KS statistic D_n = sup |F_n − F|
 * under the null (continuous F), with the method used. See the file comment for
 * the accuracy of each method.
 *
 * @param n - sample size, integer ≥ 1
 * @param d - observed statistic
 * @throws RangeError for n not a positive integer, or d NaN.
 */
export function kolmogorovUpperTailLog(n: number, d: number): KolmogorovTail {
  requireInteger(n, 'kolmogorovUpperTailLog', 'n', 1)
  requireNotNaN(d, 'kolmogorovUpperTailLog', 'd')
  const nd = n * d
  // D_n ≥ 1/(2n) always, and D_n < 1 with probability 1.
  if (nd <= 0.5) return { logPValue: 0, method: 'exact' }
  if (d >= 1) return { logPValue: -Infinity, method: 'exact' }
  // Ruben–Gambino: P(D_n < d) = n!/n^n (2nd − 1)^n for 1/(2n) < d ≤ 1/n.
  if (nd <= 1) {
    const logCdf = logFactorialOverPower(n) + n * Math.log(2 * nd - 1)
    return { logPValue: log1mExp(Math.min(0, logCdf)), method: 'exact' }
  }
  // For d ≥ ½ the two one-sided events are disjoint, so 2·P(D⁺ ≥ d) is exact.
  if (d >= 0.5) return { logPValue: Math.LN2 + logSmirnovUpperTail(n, d), method: 'exact' }
  // Kolmogorov's leading term 2e^(−2nd²) over-estimates p for finite n, so a small
  // value here means the Smirnov branch is worth its O(n) cost.
  if (Math.LN2 - 2 * nd * d < Math.log(5e-2)) {
    const logP = Math.LN2 + logSmirnovUpperTail(n, d)
    if (logP <= LN_TAIL_SWITCH) return { logPValue: logP, method: 'smirnov' }
  }
  if (durbinCost(n, d) <= DURBIN_BUDGET) {
    return { logPValue: log1mExp(logDurbinCdf(n, d)), method: 'exact' }
  }
  const sf = 1 - pelzGoodCdf(n, d)
  // Reached only with p > 1e-3; the guard keeps a cancelled 1 − CDF from ever being reported.
  if (!(sf > 1e-4)) return { logPValue: Math.LN2 + logSmirnovUpperTail(n, d), method: 'smirnov' }
  return { logPValue: Math.log(Math.min(1, sf)), method: 'pelz-good' }
}
