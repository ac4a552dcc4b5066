import { describe, expect, it } from 'vitest'
import { benjaminiHochberg, benjaminiHochbergLog, harmonicNumber } from '../../src/stats/fdr.js'

describe('benjaminiHochberg', () => {
  it('steps up past p-values that fail their own rank (hand-worked)', () => {
    // m = 5, q = 0.05 → critical values r·q/m = 0.01, 0.02, 0.03, 0.04, 0.05.
    // sorted p: 0.005 ≤ 0.01 ✓, 0.03 > 0.02 ✗, 0.035 > 0.03 ✗, 0.038 ≤ 0.04 ✓, 0.9 ✗.
    // The largest passing rank is 4, so ranks 1–4 are all rejected (a step-down
    // procedure would stop after rank 1).
    const p = [0.038, 0.9, 0.005, 0.035, 0.03]
    const r = benjaminiHochberg(p, 0.05)
    expect([...r.rejected]).toEqual([1, 0, 1, 1, 1])
    expect(r.count).toBe(4)
    expect(r.threshold).toBeCloseTo(0.04, 15)
  })

  it('divides q by H_m under arbitrary dependence (Benjamini–Yekutieli)', () => {
    // sorted p = 0.001, 0.002, 0.012, 0.02, 0.9; m = 5, q = 0.05.
    // BH: critical 0.01, 0.02, 0.03, 0.04 → rank 4 passes (0.02 ≤ 0.04): 4 rejections.
    // BY: q' = 0.05 / H_5 = 0.05 · 60/137; critical r·q'/5 = 0.00438, 0.00876, 0.01314, 0.01752:
    //     0.012 ≤ 0.01314 ✓ but 0.02 > 0.01752 ✗ → 3 rejections, threshold 3·q'/5 = 9/685.
    const p = [0.02, 0.001, 0.9, 0.012, 0.002]
    const bh = benjaminiHochberg(p, 0.05)
    expect([...bh.rejected]).toEqual([1, 1, 0, 1, 1])
    const by = benjaminiHochberg(p, 0.05, { dependence: 'arbitrary' })
    expect([...by.rejected]).toEqual([0, 1, 0, 1, 1])
    expect(by.count).toBe(3)
    expect(by.threshold).toBeCloseTo(9 / 685, 15)
  })

  it('handles none, all, ties and empty input', () => {
    expect(benjaminiHochberg([0.5, 0.7, 0.2], 0.05)).toEqual({ rejected: new Uint8Array(3), threshold: 0, count: 0 })
    const all = benjaminiHochberg([0.01, 0.02, 0.03], 0.1)
    expect([...all.rejected]).toEqual([1, 1, 1])
    // Tied p-values share a fate: both 0.02s sit at ranks 2 and 3 and pass at rank 3.
    const tied = benjaminiHochberg([0.02, 0.001, 0.02, 0.5], 0.1)
    expect([...tied.rejected]).toEqual([1, 1, 1, 0])
    expect(benjaminiHochberg([], 0.05).count).toBe(0)
  })

  it('rejects invalid p-values and q', () => {
    expect(() => benjaminiHochberg([0.1, 1.2], 0.05)).toThrow(RangeError)
    expect(() => benjaminiHochberg([0.1, Number.NaN], 0.05)).toThrow(RangeError)
    expect(() => benjaminiHochberg([0.1], 0)).toThrow(RangeError)
    expect(() => benjaminiHochberg([0.1], 1.5)).toThrow(RangeError)
    // @ts-expect-error: checking the run-time guard
    expect(() => benjaminiHochberg([0.1], 0.05, { dependence: 'none' })).toThrow(RangeError)
  })
})

describe('benjaminiHochbergLog', () => {
  it('makes the same decisions as the plain version on the logs', () => {
    const p = [0.038, 0.9, 0.005, 0.035, 0.03, 0.2, 1e-5, 0.041]
    for (const dependence of ['positive', 'arbitrary'] as const) {
      for (const q of [0.01, 0.05, 0.2]) {
        const plain = benjaminiHochberg(p, q, { dependence })
        const logs = benjaminiHochbergLog(p.map(Math.log), q, { dependence })
        expect([...logs.rejected]).toEqual([...plain.rejected])
        expect(logs.count).toBe(plain.count)
        if (plain.count > 0) expect(logs.threshold).toBeCloseTo(plain.threshold, 15)
      }
    }
  })

  it('ranks p-values that underflow as numbers', () => {
    // p = e^−2000, e^−900, e^−800 are all 0 as doubles but are ranked correctly by their logs.
    const r = benjaminiHochbergLog([-800, -1e-3, -2000, -900, Math.log(0.2)], 0.05)
    expect([...r.rejected]).toEqual([1, 0, 1, 1, 0])
    expect(r.logThreshold).toBeCloseTo(Math.log((3 * 0.05) / 5), 14)
    expect(benjaminiHochbergLog([-Infinity, -1], 0.05).count).toBe(1)
    expect(() => benjaminiHochbergLog([0.1], 0.05)).toThrow(RangeError)
  })
})

describe('harmonicNumber', () => {
  it('is exact for small m and matches the asymptotic series for large m', () => {
    expect(harmonicNumber(0)).toBe(0)
    expect(harmonicNumber(5)).toBeCloseTo(137 / 60, 15)
    // The two branches agree where they meet.
    const direct = harmonicNumber(1_000_000)
    const asym = Math.log(1e6) + 0.5772156649015329 + 1 / 2e6 - 1 / 12e12
    expect(Math.abs(direct - asym)).toBeLessThan(1e-13)
    expect(harmonicNumber(1e9)).toBeCloseTo(Math.log(1e9) + 0.5772156649015329 + 5e-10, 13)
  })
})

describe('the tested option (only the p-values at or below q given)', () => {
  // A seeded mixture: most p-values uniform, some tiny (the "marked" documents), so
  // each run rejects some and keeps others near the cut.
  const mixture = (seed: number, m: number) => {
    let s = seed
    const next = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32)
    return Array.from({ length: m }, () => (next() < 0.1 ? next() ** 6 : next()))
  }

  it('rejects what the whole list rejects, with the same count and threshold', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const p = mixture(seed, 300)
      for (const dependence of ['positive', 'arbitrary'] as const) {
        for (const q of [0.01, 0.05, 0.2]) {
          const whole = benjaminiHochbergLog(p.map(Math.log), q, { dependence })
          const kept = p.flatMap((x, i) => (x <= q ? [i] : []))
          const part = benjaminiHochbergLog(kept.map((i) => Math.log(p[i])), q, { dependence, tested: p.length })
          expect(kept.map((i, j) => part.rejected[j] === whole.rejected[i]).every(Boolean)).toBe(true)
          // Nothing left out was rejected by the whole list.
          expect(p.every((x, i) => x <= q || whole.rejected[i] === 0)).toBe(true)
          expect(part.count).toBe(whole.count)
          expect(part.logThreshold).toBe(whole.logThreshold)
          const plain = benjaminiHochberg(kept.map((i) => p[i]), q, { dependence, tested: p.length })
          expect(plain.count).toBe(whole.count)
        }
      }
    }
  })

  it('rejects a count below the p-values given', () => {
    expect(() => benjaminiHochberg([0.01, 0.02], 0.05, { tested: 1 })).toThrow(/tested/)
    expect(() => benjaminiHochbergLog([-5], 0.05, { tested: 1.5 })).toThrow(/tested/)
    // With none given there is nothing to reject, whatever m is.
    expect(benjaminiHochbergLog([], 0.05, { tested: 10 }).count).toBe(0)
  })
})
