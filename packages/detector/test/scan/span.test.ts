import { generateKey, nullModel, seededRandom, type WatermarkSpec } from '@tracemark/watermark'
import { describe, expect, it } from 'vitest'
import { bestSpan, lowerBoundLogP, spanLaw, tighterLowerBoundLogP, type Law } from '../../src/scan/span.js'
import { binomialUpperTailLog, gammaUpperTailLog } from '../../src/stats/tails.js'

/** The exhaustive search: the exact tail of every window (the oracle bestSpan's pruning must match). */
function exhaustive(spec: WatermarkSpec, score: Float64Array) {
  const law = nullModel(spec)
  const n = score.length
  if (n < 32) return null
  const cnt = new Float64Array(n + 1)
  const sum = new Float64Array(n + 1)
  for (let i = 0; i < n; i++) {
    const c = score[i] === score[i]
    cnt[i + 1] = cnt[i] + (c ? 1 : 0)
    sum[i + 1] = sum[i] + (c ? score[i] : 0)
  }
  const windows: Array<[number, number]> = []
  for (let w = 32; ; w *= 2) {
    const size = Math.min(w, n)
    const stride = Math.max(1, size >> 2)
    for (let a = 0; a + size <= n; a += stride) windows.push([a, a + size])
    if (size === n) break
    if ((n - size) % stride !== 0) windows.push([n - size, n])
  }
  let best: { start: number; end: number; logP: number } | null = null
  for (const [a, b] of windows) {
    const k = cnt[b] - cnt[a]
    if (k === 0) continue
    const s = sum[b] - sum[a]
    const logP = law.kind === 'gamma' ? gammaUpperTailLog(k, s) : binomialUpperTailLog(Math.round(s), k * law.trials, law.p)
    if (!best || logP < best.logP) best = { start: a, end: b, logP }
  }
  return best && { ...best, logP: Math.min(0, best.logP + Math.log(windows.length)) }
}

describe('bestSpan', () => {
  // Fixed seeds: human-like documents (null scores) and mixed ones (a planted
  // watermarked stretch), with repeated tuples (NaN), for each null law.
  const specs = (['gumbel', 'kgw', 'synthid'] as const).map((scheme) => generateKey({ scheme }).spec)
  it('prunes windows by a lower bound yet returns exactly the exhaustive search\'s span', () => {
    let checked = 0
    let planted = 0
    for (const spec of specs) {
      const law = nullModel(spec)
      const rnd = seededRandom(7)
      for (let doc = 0; doc < 60; doc++) {
        const n = 20 + Math.floor(rnd() * 900)
        const from = Math.floor(rnd() * n)
        const to = doc % 2 ? Math.min(n, from + 40 + Math.floor(rnd() * 200)) : from
        const score = new Float64Array(n)
        for (let i = 0; i < n; i++) {
          const marked = i >= from && i < to
          if (rnd() < 0.05) score[i] = NaN
          else if (law.kind === 'gamma') score[i] = -Math.log(1 - rnd()) * (marked ? 2 : 1)
          else {
            let c = 0
            for (let t = 0; t < law.trials; t++) c += rnd() < (marked ? Math.min(1, law.p + 0.3) : law.p) ? 1 : 0
            score[i] = c
          }
        }
        const got = bestSpan(spec, score)
        const want = exhaustive(spec, score)
        expect(got && { start: got.start, end: got.end, logP: got.logP }).toEqual(want)
        // A scan passes a reused buffer longer than the document: what lies past n is ignored.
        const longer = new Float64Array(n + 500).fill(50)
        longer.set(score)
        expect(bestSpan(spec, longer, n)).toEqual(got)
        checked++
        if (want && want.logP < Math.log(1e-6)) planted++
      }
    }
    expect(checked).toBe(180)
    // The planted stretches make real winners too, not only null documents.
    expect(planted).toBeGreaterThan(20)
  })
})

describe('the span search\'s lower bounds', () => {
  // Windows from 1 to 5,000 counted tuples, from below the mean to 40 standard
  // deviations above it: both bounds must stay below the exact tail (else a window
  // that wins could be skipped), and the tighter one within what its 64 terms
  // leave out. Past the mode consecutive terms shrink by at least the ratio r of
  // the first two, so the rest of the sum is at most r^64 / (1 - r) of its first
  // term, and the partial sum is at least (1 - r^64) of the whole: a gap of at
  // most -ln(1 - r^64) nats (plus the 1e-9 rounding margin).
  const ks = [1, 2, 5, 12, 32, 77, 200, 430, 1000, 2500, 5000]
  const zs = [-1, 0, 0.5, 1, 2, 3, 5, 8, 15, 40]
  it('gamma: below the exact tail, and within -ln(1 - r^64) of it', () => {
    const law: Law = { kind: 'gamma' }
    let tight = 0
    for (const k of ks)
      for (const z of zs) {
        const s = k + z * Math.sqrt(k)
        const exact = gammaUpperTailLog(k, s)
        expect(lowerBoundLogP(law, k, s)).toBeLessThanOrEqual(exact)
        const lb = tighterLowerBoundLogP(law, k, s)
        expect(lb).toBeLessThanOrEqual(exact)
        if (s > k - 1 && k > 1) {
          const r = (k - 1) / s
          expect(exact - lb).toBeLessThanOrEqual(-Math.log1p(-(r ** 64)) + 1e-6 * (1 + Math.abs(exact)))
          if (exact - lb < 0.01) tight++
        }
      }
    // Most windows above the mean get a bound within 0.01 nat: pruning nearly as good as the exact tails.
    expect(tight).toBeGreaterThan(40)
  })
  it('binomial (kgw and synthid\'s depth): below the exact tail, and within -ln(1 - r^64) of it', () => {
    for (const [p, trials] of [[0.25, 1], [0.5, 30]] as const) {
      const law: Law = spanLaw({ kind: 'binomial', p, trials })
      for (const k of ks)
        for (const z of zs) {
          const n = k * trials
          const m = Math.min(n, Math.round(n * p + z * Math.sqrt(n * p * (1 - p))))
          const exact = binomialUpperTailLog(m, n, p)
          expect(lowerBoundLogP(law, k, m)).toBeLessThanOrEqual(exact)
          const lb = tighterLowerBoundLogP(law, k, m)
          expect(lb).toBeLessThanOrEqual(exact)
          if (m > Math.floor(n * p) && m < n) {
            const r = ((n - m) * p) / ((m + 1) * (1 - p))
            expect(exact - lb).toBeLessThanOrEqual(-Math.log1p(-(r ** 64)) + 1e-6 * (1 + Math.abs(exact)))
          }
        }
    }
  })
})
