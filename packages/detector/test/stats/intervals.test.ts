import { describe, expect, it } from 'vitest'
import { clopperPearson } from '../../src/stats/intervals.js'
import { binomialLowerTailLog, binomialUpperTailLog } from '../../src/stats/tails.js'
import { expectRelClose, sfc32 } from './helpers.js'

// [k, n, confidence, scipyLower, scipyUpper, exactLower, exactUpper] from
// scripts/reference-values.py (section "intervals"): scipy 1.17.1
// scipy.stats.beta.ppf(alpha/2, k, n-k+1) and beta.ppf(1-alpha/2, k+1, n-k), and the same
// bounds solved in mpmath 1.3.0 (mp.dps = 80, bisection on the finite binomial sums).
// SciPy's quantiles are off by up to 1e-12 relative in two rows, hence two tolerances.
const CP: [number, number, number, number, number, number, number][] = [
  [0, 10, 0.95, 0.0, 0.3084971078187607, 0.0, 0.3084971078187608],
  [3, 10, 0.95, 0.0667395111777345, 0.6524528500599973, 0.0667395111777345, 0.6524528500599972],
  [10, 10, 0.95, 0.6915028921812392, 1.0, 0.6915028921812393, 1.0],
  [50, 1000, 0.95, 0.03733539760466178, 0.06539048791549364, 0.03733539760466177, 0.06539048791549365],
  [50, 1000, 0.99, 0.03392666271022028, 0.07050437520145814, 0.03392666271022028, 0.07050437520145812],
  [1, 1000000, 0.95, 2.53178076637942e-8, 5.571630655166939e-6, 2.53178076637942e-8, 5.571630655172243e-6],
  [999990, 1000000, 0.95, 0.9999816097211087, 0.9999952046012225, 0.9999816097211087, 0.9999952046012225],
  [5, 100000, 0.999999, 1.4663357624519086e-6, 0.00026260500557148746, 1.4663357624519077e-6, 0.0002626050055728449],
]

describe('clopperPearson', () => {
  it.each(CP)('k=%s n=%s at %s matches scipy beta.ppf and the exact mpmath bounds', (k, n, c, sLo, sHi, eLo, eHi) => {
    const { lower, upper } = clopperPearson(k, n, c)
    expectRelClose(lower, sLo, 1e-9, 'lower vs scipy')
    expectRelClose(upper, sHi, 1e-9, 'upper vs scipy')
    expectRelClose(lower, eLo, 1e-13, 'lower vs mpmath')
    expectRelClose(upper, eHi, 1e-13, 'upper vs mpmath')
  })

  it('puts exactly alpha/2 in each binomial tail at the bounds (n up to 1e9)', () => {
    for (const [k, n, c] of [[7, 30, 0.9], [1, 1e9, 0.95], [123456, 1e9, 0.99], [999_999_000, 1e9, 0.95]]) {
      const { lower, upper } = clopperPearson(k, n, c)
      const logHalfAlpha = Math.log((1 - c) / 2)
      // Each bound is the root to within a few ulps: the tail crosses alpha/2 between
      // its neighbours 4 ulps away. (Near p = 1 a double resolves 1 − p only to ~1e-8
      // relative, so comparing the tail's value at the bound would test the format.)
      const e = 4 * Number.EPSILON
      expect(binomialUpperTailLog(k, n, lower * (1 - e))).toBeLessThan(logHalfAlpha)
      expect(binomialUpperTailLog(k, n, lower * (1 + e))).toBeGreaterThan(logHalfAlpha)
      expect(binomialLowerTailLog(k, n, upper * (1 - e))).toBeGreaterThan(logHalfAlpha)
      expect(binomialLowerTailLog(k, n, Math.min(1, upper * (1 + e)))).toBeLessThan(logHalfAlpha)
      if (upper < 0.5) {
        expectRelClose(binomialUpperTailLog(k, n, lower), logHalfAlpha, 1e-9, `P(X ≥ ${k} | lower)`)
        expectRelClose(binomialLowerTailLog(k, n, upper), logHalfAlpha, 1e-9, `P(X ≤ ${k} | upper)`)
      }
      expect(lower).toBeLessThan(k / n)
      expect(upper).toBeGreaterThan(k / n)
    }
  })

  it('widens with the confidence level and handles k = 0, k = n, n = 0', () => {
    const a = clopperPearson(40, 200, 0.9)
    const b = clopperPearson(40, 200, 0.99)
    expect(b.lower).toBeLessThan(a.lower)
    expect(b.upper).toBeGreaterThan(a.upper)
    // k = 0: upper solves (1 − p)^n = alpha/2 exactly.
    expectRelClose(clopperPearson(0, 50).upper, 1 - 0.025 ** (1 / 50), 1e-13)
    expect(clopperPearson(0, 50).lower).toBe(0)
    expect(clopperPearson(50, 50).upper).toBe(1)
    expect(clopperPearson(0, 0)).toEqual({ lower: 0, upper: 1 })
  })

  it('contains the true rate of a seeded simulation (the intended use)', () => {
    // 20 000 Bernoulli(0.01) trials from a fixed seed: a fixed count, so no flakiness.
    const rand = sfc32(11, 22, 33, 44)
    let k = 0
    for (let i = 0; i < 20_000; i++) if (rand() < 0.01) k++
    const { lower, upper } = clopperPearson(k, 20_000, 0.999)
    expect(lower).toBeLessThan(0.01)
    expect(upper).toBeGreaterThan(0.01)
    // …and excludes a rate that is clearly wrong.
    expect(upper).toBeLessThan(0.02)
  })

  it('rejects invalid arguments', () => {
    expect(() => clopperPearson(11, 10)).toThrow(RangeError)
    expect(() => clopperPearson(-1, 10)).toThrow(RangeError)
    expect(() => clopperPearson(1.5, 10)).toThrow(RangeError)
    expect(() => clopperPearson(1, 10, 1)).toThrow(RangeError)
    expect(() => clopperPearson(1, 10, 0)).toThrow(RangeError)
    expect(() => clopperPearson(1, 10, Number.NaN)).toThrow(RangeError)
  })
})
