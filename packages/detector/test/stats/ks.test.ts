import { describe, expect, it } from 'vitest'
import { kolmogorovUpperTailLog } from '../../src/stats/kolmogorov.js'
import { ksStatisticUniform, ksUniform } from '../../src/stats/ks.js'
import { gammaUpperTailLog } from '../../src/stats/tails.js'
import { expectRelClose, sfc32 } from './helpers.js'

// A fixed seed makes every sample below a fixed list of numbers (sfc32 uses only
// 32-bit integer arithmetic, identical on every platform), so each p-value is a
// constant and a threshold such as "p > 1e-3" either always or never holds: it
// cannot flake. The thresholds are still meaningful: a broken statistic or
// p-value (e.g. an off-by-one in the ECDF, or 1 − p) fails them.
function uniformSample(n: number, seed: number): Float64Array {
  const rand = sfc32(0x9e3779b9, 0x243f6a88, 0xb7e15162, seed)
  for (let i = 0; i < 15; i++) rand() // sfc32's recommended warm-up
  return Float64Array.from({ length: n }, rand)
}

// References (scripts/reference-values.py, section "ks").
// [n, d, P(D_n ≥ d)] exactly: Durbin's matrix evaluated in mpmath 1.3.0 at mp.dps = 80
// (ks_sf_durbin()). scipy.stats.kstwo.sf agrees to 1e-11 for n ≤ 140 and only to ~6e-8 for
// n = 500 and 1000, where it switches to the Pelz–Good approximation.
const KS_EXACT: [number, number, number][] = [
  [10, 0.2, 0.74871903999999994],
  [10, 0.45, 0.022891810311718745],
  [50, 0.1, 0.66231127046581848],
  [100, 0.05, 0.95321597106357248],
  [100, 0.2, 0.00055519273280280968],
  [140, 0.12, 0.032526382585611837],
  [500, 0.03, 0.74731662218084372],
  [1000, 0.02, 0.81089713107021213],
]

// [n, d, scipy.stats.kstwo.sf(d, n), tolerance] (scipy 1.17.1). SciPy is itself exact only
// for n ≤ 140 and where it uses 2·smirnov in the far tail; elsewhere it uses the Pelz–Good
// expansion or 2·smirnov at p ~ 0.02, good to ~1e-7 … 1e-6, hence the looser tolerances.
const KS_SCIPY: [number, number, number, number][] = [
  [10, 0.6, 0.0005681672000000003, 1e-12],
  [10, 0.95, 1.9531250000000172e-13, 1e-13],
  [1000, 0.06, 0.001428597887952891, 1e-8],
  [2000, 0.03, 0.05354694793932557, 1e-6],
  [5000, 0.015, 0.20846142096186204, 1e-7],
  [100000, 0.004, 0.08130148920222469, 1e-9],
  [1000000, 0.001, 0.26982107442589376, 1e-9],
  [1000000, 0.0015, 0.022195758430640866, 2e-6],
]

// [n, d, ln(2·scipy.special.smirnov(n, d))]: the two-sided tail for d ≥ ½, and equal to it
// within ~p³ relative below p = 1e-3.
const KS_FAR_TAIL: [number, number, number][] = [
  [100, 0.3, -17.848579234196944],
  [1000, 0.1, -19.41393700083192],
  [1000, 0.3, -183.25487326772415],
  [20, 0.7, -22.1535559566184],
]

describe('Kolmogorov distribution P(D_n ≥ d)', () => {
  it.each(KS_EXACT)('n=%s d=%s matches the 80-digit Durbin matrix', (n, d, want) => {
    expectRelClose(Math.exp(kolmogorovUpperTailLog(n, d).logPValue), want, 1e-10)
  })

  it.each(KS_SCIPY)('n=%s d=%s matches scipy.stats.kstwo.sf', (n, d, want, tol) => {
    expectRelClose(Math.exp(kolmogorovUpperTailLog(n, d).logPValue), want, tol)
  })

  it.each(KS_FAR_TAIL)('n=%s d=%s far tail matches 2·smirnov in log space', (n, d, want) => {
    expectRelClose(kolmogorovUpperTailLog(n, d).logPValue, want, 1e-12)
  })

  it('uses the closed forms at the ends of the range', () => {
    // d ≤ 1/(2n): certain. 1/(2n) < d ≤ 1/n: 1 − n!(2d − 1/n)^n. d ≥ 1 − 1/n: 2(1 − d)^n.
    expect(kolmogorovUpperTailLog(10, 0.05).logPValue).toBe(0)
    expectRelClose(Math.exp(kolmogorovUpperTailLog(3, 0.3).logPValue), 1 - 6 * (0.6 - 1 / 3) ** 3, 1e-14)
    expectRelClose(kolmogorovUpperTailLog(10, 0.95).logPValue, Math.log(2 * 0.05 ** 10), 1e-13)
    expect(kolmogorovUpperTailLog(10, 1).logPValue).toBe(-Infinity)
  })

  it('is decreasing in d and continuous where it switches method', () => {
    for (const n of [25, 400, 3000, 20000]) {
      const step = 4 / Math.sqrt(n) / 120
      let prev = kolmogorovUpperTailLog(n, step)
      const methods = new Set<string>([prev.method])
      for (let i = 2; i <= 120; i++) {
        const d = i * step
        const cur = kolmogorovUpperTailLog(n, d)
        methods.add(cur.method)
        expect(cur.logPValue, `n=${n} d=${d}`).toBeLessThanOrEqual(prev.logPValue)
        if (cur.method !== prev.method && n <= 3000) {
          // Bisect to the switch and compare the two methods across it: they must agree
          // to the accuracy of the less accurate one (Pelz–Good, ~1e-6 where used).
          let lo = d - step
          let hi = d
          for (let j = 0; j < 16; j++) {
            const mid = (lo + hi) / 2
            if (kolmogorovUpperTailLog(n, mid).method === prev.method) lo = mid
            else hi = mid
          }
          const a = kolmogorovUpperTailLog(n, lo).logPValue
          const b = kolmogorovUpperTailLog(n, hi).logPValue
          const slope = 4 * n * hi // |d ln p / dd| ≲ 4nd
          expect(Math.abs(a - b), `n=${n} switch ${prev.method}→${cur.method} at d≈${hi}`).toBeLessThan(
            2e-6 + 2 * slope * (hi - lo),
          )
        }
        prev = cur
      }
      if (n === 20000) expect(methods).toEqual(new Set(['exact', 'pelz-good', 'smirnov']))
    }
  })

  it('rejects invalid n and d', () => {
    expect(() => kolmogorovUpperTailLog(0, 0.1)).toThrow(RangeError)
    expect(() => kolmogorovUpperTailLog(10.5, 0.1)).toThrow(RangeError)
    expect(() => kolmogorovUpperTailLog(10, Number.NaN)).toThrow(RangeError)
  })
})

describe('ksUniform', () => {
  it('reproduces scipy.stats.kstest(x, "uniform", method="exact")', () => {
    const x = [0.03, 0.11, 0.18, 0.27, 0.41, 0.44, 0.52, 0.87, 0.91, 0.98]
    const r = ksUniform(x)
    expect(r.statistic).toBeCloseTo(0.17999999999999994, 15)
    expectRelClose(r.pValue, 0.8472806273219463, 1e-12)
    // Order does not matter.
    expect(ksUniform([...x].reverse()).pValue).toBe(r.pValue)

    const y = Array.from({ length: 40 }, (_, i) => ((i + 0.5) / 40) ** 2)
    const ry = ksUniform(y)
    expect(ry.statistic).toBeCloseTo(0.26234375000000004, 15)
    expectRelClose(ry.pValue, 0.006431035682654462, 1e-10)
  })

  it('computes D_n from both sides of each ECDF step', () => {
    expect(ksStatisticUniform([0.5])).toBe(0.5)
    expect(ksStatisticUniform([0.1, 0.2])).toBeCloseTo(0.8, 15) // below: F_n jumps to 1 at 0.2
    expect(ksStatisticUniform([0.9, 0.95])).toBeCloseTo(0.9, 15) // above: F_n is 0 up to 0.9
    expect(ksStatisticUniform([-1, 2])).toBe(0.5) // clamped to the uniform CDF's range
    expect(() => ksStatisticUniform([])).toThrow(RangeError)
    expect(() => ksStatisticUniform([0.2, Number.NaN])).toThrow(RangeError)
  })

  it('does not reject seeded uniform samples (n = 10 … 1e5)', () => {
    // With these seeds p = 0.649, 0.105, 0.691, 0.850, 0.0776 (the last via Pelz–Good).
    for (const [n, seed] of [[10, 1], [100, 2], [1000, 3], [10_000, 4], [100_000, 5]]) {
      const r = ksUniform(uniformSample(n, seed))
      expect(r.pValue, `n=${n}`).toBeGreaterThan(1e-3)
    }
  })

  it('rejects a clearly non-uniform sample, with a usable log p-value below 1e-308', () => {
    const u2 = uniformSample(1000, 6).map((u) => u * u)
    const r = ksUniform(u2) // D = 0.2787, p = 3.56e-69
    expect(r.pValue).toBeLessThan(1e-6)
    expect(r.method).toBe('smirnov')
    // With 1e5 points, D ≈ ¼ and ln p ≈ −2nD² ≈ −12500: p underflows, its log does not.
    const big = ksUniform(uniformSample(100_000, 7).map((u) => u * u))
    expect(big.pValue).toBe(0)
    expect(big.logPValue).toBeLessThan(-12000)
    expect(big.logPValue).toBeGreaterThan(-13000)
  })

  it('gives uniform p-values under the null (KS p-values and Gamma tail p-values)', () => {
    // Exactness check: if P(D_n ≥ d) were biased, its own p-values would not be uniform.
    const ksP = Array.from({ length: 1000 }, (_, i) => ksUniform(uniformSample(20, 100 + i)).pValue)
    expect(ksUniform(ksP).pValue).toBeGreaterThan(1e-3) // 0.092 with these seeds
    // The detector's Gamma test: a sum of 30 Exp(1) scores is Gamma(30, 1) under the null,
    // so exp(gammaUpperTailLog(30, s)) must be uniform.
    const rand = sfc32(1, 2, 3, 4)
    const gammaP = Array.from({ length: 2000 }, () => {
      let s = 0
      for (let t = 0; t < 30; t++) s -= Math.log(rand())
      return Math.exp(gammaUpperTailLog(30, s))
    })
    expect(ksUniform(gammaP).pValue).toBeGreaterThan(1e-3) // 0.153 with this seed
  })
})
