/**
 * The regularized incomplete beta function I_x(a, b) and its complement, as logs.
 *
 * Method: I_x(a,b) = x^a (1−x)^b / (a B(a,b)) × CF, with the continued fraction of
 * Numerical Recipes §6.4 evaluated by the modified Lentz algorithm. The CF
 * converges quickly only for x < (a+1)/(a+b+2) — roughly, below the mean of
 * Beta(a,b), where I_x is the smaller tail. Otherwise the symmetry
 * I_x(a,b) = 1 − I_{1−x}(b,a) puts the evaluation back on the converging side.
 * So the side evaluated directly is (to within a factor ~2) always the small
 * tail, and the other side is its complement via log1mExp — which is accurate
 * because that side is not small.
 *
 * One exception to the CF: when the evaluation point x is above ½ (which on the
 * converging side means a > b), every odd CF step computes 1 − x·(…) and loses
 * log10(1/(1−x)) digits; with a = 1e9 and 1 − x = 1e-8 (a binomial with tiny p,
 * lower tail) ln I came out wrong in the 9th digit. For integer a and b the
 * function is then evaluated as the finite binomial sum it equals,
 * I_x(a,b) = P(Bin(a+b−1, 1−x) ≤ b−1), whose terms are all positive and are
 * formed from x and 1−x by multiplication only. Non-integer shapes in that
 * region keep the CF and its error (~1e-9 relative in ln I at a ~ 1e9, 1e-11 at
 * a ~ 1e7), as do integer shapes with (a+b)·x·(1−x) > 1e10 (n > 4e10 trials),
 * where the sum would need millions of terms; the detector passes integers.
 *
 * The prefactor is taken from Loader's saddle-point binomial (see loader.ts),
 * never from exp/log of x^a, (1−x)^b and B(a,b) separately: those cancel
 * catastrophically once a + b is in the millions.
 */
import { logBinomialPmfRaw } from './loader.js'
import { log1mExp } from './logspace.js'
import { requirePositive, requireProbability } from './validate.js'

// Lentz's guard against a zero denominator, and the convergence tolerance: the
// product stops changing at a couple of ulps.
const TINY = 1e-300
const EPS = 2 * Number.EPSILON

/**
 * ln I_x(a, b) for x < (a+1)/(a+b+2), where the continued fraction converges.
 * @param y - 1 − x, passed exactly by the caller.
 */
function logIncBetaOnConvergentSide(a: number, b: number, x: number, y: number): number {
  // The sum needs O(√((a+b)xy)) terms near the centre; past ~1e5 of those it is
  // left to the CF, which converges faster there.
  if (x > 0.5 && Number.isInteger(a) && Number.isInteger(b) && (a + b) * x * y <= 1e10) {
    return logBinomialLowerSum(b - 1, a + b - 1, y, x)
  }
  // x^a y^b / (a B(a,b)) = [Γ(a+b+1)/(Γ(a+1)Γ(b+1)) x^a y^b] · b/(a+b)
  const logFront = logBinomialPmfRaw(a, b, x, y) + Math.log(b / (a + b))
  return logFront + Math.log(continuedFraction(a, b, x, y))
}

/**
 * The NR `betacf` continued fraction. Near the switch point it needs O(√max(a,b))
 * terms, so the cap scales with that; in the tails it converges in a handful.
 */
function continuedFraction(a: number, b: number, x: number, y: number): number {
  const qab = a + b
  const qap = a + 1
  const qam = a - 1
  let c = 1
  // The leading denominator 1 − (a+b)x/(a+1) nearly cancels close to the switch
  // point, and the fraction is ~1/(that), so its rounding error would be
  // amplified by the fraction's size. Rewritten with the exact y = 1 − x, its two
  // terms only cancel near x = (a+1)/(a+b), beyond the switch point.
  let d = ((a + 1) * y - (b - 1) * x) / qap
  if (Math.abs(d) < TINY) d = TINY
  d = 1 / d
  let h = d
  const maxIter = 1000 + Math.ceil(50 * Math.sqrt(Math.max(a, b)))
  for (let m = 1; m <= maxIter; m++) {
    const m2 = 2 * m
    // Even step: d_{2m} = m(b−m)x / ((a+2m−1)(a+2m)).
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2))
    d = 1 + aa * d
    if (Math.abs(d) < TINY) d = TINY
    c = 1 + aa / c
    if (Math.abs(c) < TINY) c = TINY
    d = 1 / d
    h *= d * c
    // Odd step: d_{2m+1} = −(a+m)(a+b+m)x / ((a+2m)(a+2m+1)).
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2))
    d = 1 + aa * d
    if (Math.abs(d) < TINY) d = TINY
    c = 1 + aa / c
    if (Math.abs(c) < TINY) c = TINY
    d = 1 / d
    const del = d * c
    h *= del
    if (Math.abs(del - 1) <= EPS) break
  }
  return h
}

/**
 * ln Σ_{j=0}^{m} C(N, j) s^j t^(N−j) = ln P(Bin(N, s) ≤ m), t = 1 − s, for m
 * below the mean N·s: summed from j = m down, where the terms only shrink.
 */
function logBinomialLowerSum(m: number, N: number, s: number, t: number): number {
  let term = 1
  let sum = 1
  for (let j = m; j > 0; j--) {
    const r = (j * t) / ((N - j + 1) * s)
    term *= r
    sum += term
    // The ratios fall as j falls, so what is left is below term·r/(1 − r).
    if (r < 1 && term * r <= sum * EPS * (1 - r)) break
  }
  return logBinomialPmfRaw(m, N - m, s, t) + Math.log(sum)
}

/** Both tails as logs, each computed on the side where it is accurate. */
function logIncBetaTails(fn: string, a: number, b: number, x: number): [lower: number, upper: number] {
  requirePositive(a, fn, 'a', true)
  requirePositive(b, fn, 'b', true)
  requireProbability(x, fn, 'x')
  if (x === 0) return [-Infinity, 0]
  if (x === 1) return [0, -Infinity]
  // Exact for x ≥ ½ (Sterbenz), within half an ulp of 1 below that.
  const y = 1 - x
  // Clamped at 0: a side within an ulp of 1 may round a hair above it.
  if (x < (a + 1) / (a + b + 2)) {
    const lower = Math.min(0, logIncBetaOnConvergentSide(a, b, x, y))
    return [lower, log1mExp(lower)]
  }
  const upper = Math.min(0, logIncBetaOnConvergentSide(b, a, y, x))
  return [log1mExp(upper), upper]
}

/**
 * ln I_x(a, b): the log of the regularized incomplete beta function, i.e. of
 * P(B ≤ x) for B ~ Beta(a, b). Accurate to ~1e-14 relative in the log (and the
 * log of a probability near 1 is returned with relative accuracy too, e.g.
 * −1e-250 rather than 0).
 *
 * @param a - shape a > 0 (finite)
 * @param b - shape b > 0 (finite)
 * @param x - point in [0, 1]
 * @returns a finite value ≤ 0, or −Infinity only when x = 0
 * @throws RangeError for parameters outside those ranges or NaN.
 */
export function logRegIncBeta(a: number, b: number, x: number): number {
  return logIncBetaTails('logRegIncBeta', a, b, x)[0]
}

/**
 * ln(1 − I_x(a, b)) = ln P(B > x) for B ~ Beta(a, b), computed directly (as
 * ln I_{1−x}(b, a)) whenever it is the small side, so it stays accurate far below
 * 1e-308.
 *
 * @returns a finite value ≤ 0, or −Infinity only when x = 1
 * @throws RangeError for a, b not positive and finite, x outside [0, 1], or NaN.
 */
export function logRegIncBetaUpper(a: number, b: number, x: number): number {
  return logIncBetaTails('logRegIncBetaUpper', a, b, x)[1]
}
