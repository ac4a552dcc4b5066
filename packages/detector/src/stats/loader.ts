/**
 * Loader's saddle-point evaluation of binomial and Poisson probabilities.
 *
 * Every exact tail in this directory is "a point probability times a continued
 * fraction or series". The point probability is where naive code loses the far
 * tail: ln C(n,k) + k ln p + (n−k) ln q adds terms of size ~n ln n that cancel to
 * leave a p-value log of modest size, so at n = 1e9 the absolute rounding of the
 * large terms (~1e-6) would swamp the tenth significant digit. Loader's form
 * writes the log-probability as a sum of small, individually accurate pieces:
 * the deviance bd0 and the Stirling remainder stirlerr.
 *
 * Reference: C. Loader (2000), "Fast and Accurate Computation of Binomial
 * Probabilities" (the algorithm behind R's dbinom/dpois).
 */

/** ln √(2π) */
export const LN_SQRT_2PI = 0.918938533204672741780329736406
/** ln(2π) */
const LN_2PI = 1.83787706640934548356065947281

// Stirling series coefficients B_{2j} / (2j (2j−1)): 1/12, 1/360, 1/1260, 1/1680, 1/1188.
const S0 = 1 / 12
const S1 = 1 / 360
const S2 = 1 / 1260
const S3 = 1 / 1680
const S4 = 1 / 1188

/**
 * The Stirling remainder stirlerr(n) = ln Γ(n+1) − [(n + ½) ln n − n + ln √(2π)], for real n > 0.
 *
 * @remarks Above 15 the asymptotic series is truncated where its next term is below
 * 3e-16 absolute. Below 15 the series is useless, so the exact recurrence
 * stirlerr(n) = stirlerr(n+1) + (n + ½)·ln(1 + 1/n) − 1 climbs past 15: each step
 * is O(1), so the result keeps an absolute error of a few 1e-16 without needing a
 * log-gamma (which would reintroduce the cancellation this function exists to avoid).
 */
export function stirlerr(n: number): number {
  if (n > 15) {
    const nn = n * n
    if (n > 500) return (S0 - S1 / nn) / n
    if (n > 80) return (S0 - (S1 - S2 / nn) / nn) / n
    if (n > 35) return (S0 - (S1 - (S2 - S3 / nn) / nn) / nn) / n
    return (S0 - (S1 - (S2 - (S3 - S4 / nn) / nn) / nn) / nn) / n
  }
  // ln Γ(1+n) ≈ −γn and n ln n are below 1e-18 here; 1/n would soon overflow in the recurrence.
  if (n < 1e-20) return -0.5 * Math.log(n) - LN_SQRT_2PI
  let acc = 0
  let m = n
  while (m <= 15) {
    acc += (m + 0.5) * Math.log1p(1 / m) - 1
    m += 1
  }
  return acc + stirlerr(m)
}

/**
 * The deviance term bd0(x, M) = x ln(x/M) + M − x ≥ 0, for x ≥ 0, M > 0.
 *
 * @remarks When x and M are close the closed form cancels to nothing, so the
 * series in v = (x−M)/(x+M) is summed instead (all its terms are small and the
 * first one carries the size). Far apart, the closed form is safe, but x/M can
 * overflow when the two differ by ~300 orders of magnitude, hence the log split.
 */
export function bd0(x: number, M: number): number {
  if (x === 0) return M
  const d = x - M
  if (Math.abs(d) < 0.1 * (x + M)) {
    let v = d / (x + M)
    let s = d * v
    let ej = 2 * x * v
    v *= v
    for (let j = 1; j < 1000; j++) {
      ej *= v
      const s1 = s + ej / (2 * j + 1)
      if (s1 === s) return s1
      s = s1
    }
    return s
  }
  const r = x / M
  const lr = r > 0 && r < Infinity ? Math.log(r) : Math.log(x) - Math.log(M)
  return x * lr + M - x
}

/**
 * ln [ Γ(x+y+1) / (Γ(x+1) Γ(y+1)) · p^x q^y ]: the binomial probability of x
 * successes and y failures, extended to real x, y ≥ 0.
 *
 * @param q - 1 − p, passed separately so a caller that knows it exactly (e.g. from
 * the symmetric side of an incomplete beta) does not lose it to rounding.
 */
export function logBinomialPmfRaw(x: number, y: number, p: number, q: number): number {
  if (p === 0) return x === 0 ? 0 : -Infinity
  if (q === 0) return y === 0 ? 0 : -Infinity
  const n = x + y
  if (x === 0) {
    if (y === 0) return 0
    // q^n; for small p, ln q = log(1 − p) would drop the low digits of p, bd0 keeps them.
    return p < 0.1 ? -bd0(n, n * q) - n * p : n * Math.log(q)
  }
  if (y === 0) return q < 0.1 ? -bd0(n, n * p) - n * q : n * Math.log(p)
  const lc = stirlerr(n) - stirlerr(x) - stirlerr(y) - bd0(x, n * p) - bd0(y, n * q)
  // ln(2π x y / n) — the Gaussian normaliser of the saddle point.
  const lf = LN_2PI + Math.log(x) + Math.log(y) - Math.log(n)
  return lc - 0.5 * lf
}

/**
 * ln [ λ^x e^(−λ) / Γ(x+1) ]: the Poisson probability of x, extended to real x ≥ 0.
 * This is also the prefactor x^a e^(−x) / Γ(a+1) of the incomplete gamma function.
 */
export function logPoissonPmfRaw(x: number, lambda: number): number {
  if (lambda === 0) return x === 0 ? 0 : -Infinity
  if (x === 0) return -lambda
  return -stirlerr(x) - bd0(x, lambda) - 0.5 * (LN_2PI + Math.log(x))
}
