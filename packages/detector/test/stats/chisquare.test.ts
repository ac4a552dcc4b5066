import { describe, expect, it } from 'vitest'
import { chiSquareGoodnessOfFit } from '../../src/stats/chisquare.js'
import { logRegIncGammaUpper } from '../../src/stats/special.js'
import { expectRelClose, sfc32 } from './helpers.js'

// scripts/reference-values.py, section "chisquare".
// [df, x, scipy.stats.chi2.sf(x, df)] (scipy 1.17.1; its first two rows are off by ~3e-15,
// mpmath gives 0.050000000000000057 for the first).
const CHI2_SF: [number, number, number][] = [
  [1, 3.841458820694124, 0.04999999999999989],
  [5, 11.070497693516351, 0.05000000000000007],
  [10, 50.0, 2.669083424904495e-7],
  [3, 0.5, 0.9188914116546758],
  [100, 140.0, 0.0051405024585059085],
]
// [df, x, ln P(χ²_df ≥ x)] = ln mpmath.gammainc(df/2, x/2, mpmath.inf, regularized=True),
// mpmath 1.3.0, mp.dps=80 (scipy's chi2.sf is fine here too, but not for the logs).
const CHI2_LOG_SF: [number, number, number][] = [
  [20, 400.0, -165.07117125642678],
  [100, 2000.0, -806.03554811842439],
  [9, 5000.0, -2475.068175113051],
]

describe('chi-square distribution tail', () => {
  it.each(CHI2_SF)('df=%s x=%s matches scipy.stats.chi2.sf', (df, x, want) => {
    expectRelClose(Math.exp(logRegIncGammaUpper(df / 2, x / 2)), want, 1e-13)
  })

  it.each(CHI2_LOG_SF)('df=%s x=%s far tail matches mpmath in log space', (df, x, want) => {
    expectRelClose(logRegIncGammaUpper(df / 2, x / 2), want, 1e-12)
  })
})

describe('chiSquareGoodnessOfFit', () => {
  it('matches scipy.stats.chisquare without pooling', () => {
    // scipy.stats.chisquare([18, 22, 25, 19, 16], [20]*5) = (2.5, 0.6446357929354278)
    const r = chiSquareGoodnessOfFit([18, 22, 25, 19, 16], [20, 20, 20, 20, 20])
    expect(r.statistic).toBeCloseTo(2.5, 14)
    expect(r.df).toBe(4)
    expect(r.cells).toBe(5)
    expectRelClose(r.pValue, 0.6446357929354278, 1e-13)
  })

  it('pools the cells expecting fewer than 5 into one cell', () => {
    // The last four cells expect 3.5 + 2.5 + 1 + 1 = 8 together; scipy on the pooled table:
    // scipy.stats.chisquare([30, 41, 12, 9, 8], [32, 38, 14, 8, 8]) = (0.7725563909774436, 0.9420889363356739)
    const r = chiSquareGoodnessOfFit([30, 41, 12, 9, 3, 2, 1, 2], [32, 38, 14, 8, 3.5, 2.5, 1, 1])
    expect(r.cells).toBe(5)
    expect(r.df).toBe(4)
    expectRelClose(r.statistic, 0.7725563909774436, 1e-14)
    expectRelClose(r.pValue, 0.9420889363356739, 1e-13)
  })

  it('folds a pooled cell that is still too small into the smallest remaining cell', () => {
    // The two small cells pool to 3 observed vs 3 expected (< 5), so the pool joins the
    // smallest remaining cell: cells 50 vs 50, 40 vs 38, 12 vs 14 → χ² = 4/38 + 4/14 = 52/133.
    const r = chiSquareGoodnessOfFit([50, 40, 9, 2, 1], [50, 38, 11, 2, 1])
    expect(r.cells).toBe(3)
    expect(r.df).toBe(2)
    expectRelClose(r.statistic, 52 / 133, 1e-14)
  })

  it('detects a sampler that does not match its distribution, and passes one that does', () => {
    // Seeded draws (fixed numbers, so the verdicts are fixed) from a 6-outcome distribution.
    const probs = [0.3, 0.25, 0.2, 0.15, 0.07, 0.03]
    const draw = (rand: () => number, w: number[]) => {
      let u = rand()
      for (let i = 0; i < w.length; i++) if ((u -= w[i]) < 0) return i
      return w.length - 1
    }
    const n = 20_000
    const expected = probs.map((p) => p * n)
    const good = new Array(6).fill(0)
    const bad = new Array(6).fill(0)
    const rand = sfc32(5, 6, 7, 8)
    const skewed = [0.29, 0.25, 0.2, 0.15, 0.07, 0.04]
    for (let i = 0; i < n; i++) {
      good[draw(rand, probs)]++
      bad[draw(rand, skewed)]++
    }
    expect(chiSquareGoodnessOfFit(good, expected).pValue).toBeGreaterThan(1e-3)
    expect(chiSquareGoodnessOfFit(bad, expected).pValue).toBeLessThan(1e-6)
  })

  it('reports far-tail p-values as logs', () => {
    const r = chiSquareGoodnessOfFit([5000, 0, 0, 0, 5000], [2000, 2000, 2000, 2000, 2000])
    expect(r.statistic).toBe(15000)
    expect(r.pValue).toBe(0)
    expectRelClose(r.logPValue, logRegIncGammaUpper(2, 7500), 1e-15)
    expect(r.logPValue).toBeLessThan(-7000)
  })

  it('honours ddof and rejects tables it cannot test', () => {
    expect(chiSquareGoodnessOfFit([18, 22, 25, 19, 16], [20, 20, 20, 20, 20], { ddof: 1 }).df).toBe(3)
    expect(() => chiSquareGoodnessOfFit([1, 2], [1, 2, 3])).toThrow(RangeError)
    expect(() => chiSquareGoodnessOfFit([10, 10], [5, 10])).toThrow(RangeError) // totals differ
    expect(() => chiSquareGoodnessOfFit([3, 1], [2, 2])).toThrow(RangeError) // everything pooled: df = 0
    expect(() => chiSquareGoodnessOfFit([-1, 11], [5, 5])).toThrow(RangeError)
    expect(() => chiSquareGoodnessOfFit([10, 10], [10, 10], { ddof: 1 })).toThrow(RangeError)
  })
})
