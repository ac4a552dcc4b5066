import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { binomialUpperTailLog } from '../../detector/src/stats/tails.js'
import { runEval } from '../src/eval/run.js'
import { FPR_ALPHAS, POWER_ALPHAS, type EvalReport } from '../src/eval/report.js'

// A tiny but real evaluation: the reference model, two configurations (the KGW
// reference and Gumbel h=4), 6 documents of 100 tokens, one attack (homoglyph, with
// its normalization-off diagnostic row), 100 human pieces for the false-positive test.
// In-process (workers: 1) and without a time budget, so the outcome is deterministic.
const DOCS = 6
const TOKENS = 100
const FPR_TOKENS = 20_000

let dir: string
let report: EvalReport
const lines: string[] = []

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tracemark-eval-'))
  report = runEval(
    {
      quick: true,
      outDir: dir,
      seed: 7,
      schemes: ['kgw-ref', 'gumbel-h4'],
      docs: DOCS,
      tokens: TOKENS,
      attacks: ['homoglyph'],
      fprTokens: FPR_TOKENS,
      fprExtraKeys: 3,
      workers: 1,
      budgetSeconds: Infinity,
      klDocs: 2,
      klSteps: 20,
    },
    (l) => lines.push(l),
  )
})

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

const config = (label: string) => report.configs.find((c) => c.label === label)!
const row = (label: string, id: string) => config(label).power.find((r) => r.id === id)!

describe('runEval (tiny run)', () => {
  it('returns the documented shape', () => {
    expect(report.version).toBe(1)
    expect(report.mode).toBe('quick')
    expect(report.settings).toMatchObject({ docs: DOCS, docsRequested: DOCS, stoppedByBudget: false, tokens: TOKENS, lengths: [50, 100], temperature: 1, topP: 1, topK: 0, point: 't1' })
    // Entropy of the host's distribution, pooled over DOCS × TOKENS steps, and its quantiles in order.
    expect(report.plain.entropy.steps).toBe(DOCS * TOKENS)
    expect(report.plain.entropy.p10).toBeLessThanOrEqual(report.plain.entropy.p50)
    expect(report.plain.entropy.p50).toBeLessThanOrEqual(report.plain.entropy.p90)
    expect(report.plain.entropy.mean).toBeGreaterThan(1)
    expect(report.summaryLength).toBe(100)
    expect(report.configs.map((c) => c.label)).toEqual(['kgw-ref', 'gumbel-h4'])
    for (const c of report.configs) {
      expect(c.docs).toBe(DOCS)
      expect(c.power.map((r) => r.id)).toEqual(['none', 'homoglyph@0.3', 'homoglyph@1', 'homoglyph@1:raw'])
      for (const r of c.power) {
        expect(r.n).toBe(DOCS)
        expect(Object.keys(r.tpr)).toEqual([...POWER_ALPHAS])
        for (const a of POWER_ALPHAS) expect(r.tpr[a]).toHaveLength(2)
        expect(r.medianLog10P).toHaveLength(2)
      }
      expect(c.fpr.rows.map((r) => r.alpha)).toEqual([...FPR_ALPHAS])
      expect(c.fpr.pieces).toBe(FPR_TOKENS / 200)
      expect(c.fpr.keySpread.map((r) => r.alpha)).toEqual([...FPR_ALPHAS])
      for (const k of c.fpr.keySpread) {
        expect(k.counts).toHaveLength(3)
        expect(k.min).toBeLessThanOrEqual(k.median)
        expect(k.median).toBeLessThanOrEqual(k.max)
      }
      expect(c.quality.perplexity).toBeGreaterThan(1)
      expect(c.quality.entropy.steps).toBe(DOCS * TOKENS)
      expect(c.quality.plainPerplexity).toBeGreaterThan(1)
      expect(Number.isFinite(c.quality.ratio)).toBe(true)
      expect(c.throughput.watermarkedTokensPerSecond).toBeGreaterThan(0)
      expect(c.throughput.plainTokensPerSecond).toBeGreaterThan(0)
      expect(c.tokensFor99.display).toMatch(/^(\d+|>100)$/)
    }
    // Exact KL for the green list; the distortion-free scheme says why it has none.
    expect(config('kgw-ref').quality.kl).toBeGreaterThan(0)
    expect(config('kgw-ref').quality.klSteps).toBe(2 * 20)
    expect(config('gumbel-h4').quality.kl).toBeNull()
    expect(config('gumbel-h4').quality.klNote).toMatch(/distortion-free/)
    expect(report.summary.map((s) => s.label)).toEqual(['kgw-ref', 'gumbel-h4'])
    expect(report.defaults.rule).toMatch(/perplexity ratio/)
    expect(report.defaults.ranking).toHaveLength(2)
    expect(lines.some((l) => /document \d+ done/.test(l))).toBe(true)
    // eval.json is the returned report.
    expect(JSON.parse(readFileSync(join(dir, 'eval.json'), 'utf8'))).toEqual(JSON.parse(JSON.stringify(report)))
  })

  it('reports every TPR in [0, 1]', () => {
    for (const c of report.configs) {
      for (const r of c.power) for (const a of POWER_ALPHAS) for (const v of r.tpr[a]) expect(v >= 0 && v <= 1).toBe(true)
    }
    for (const s of report.summary) expect(s.cleanTpr200 >= 0 && s.cleanTpr200 <= 1).toBe(true)
  })

  it('detects every clean kgw reference document at FPR 1e-2 with 100 tokens', () => {
    // Why this must hold. With gamma = 0.25 and delta = 2, a step of a flat (high-
    // entropy) distribution picks a green token with probability
    //   gamma e^delta / (gamma e^delta + 1 - gamma) = 1.847 / 2.597 = 0.711.
    // 100 tokens give ~96 scored tuples (the first h = 4 have no window): ~68 green
    // against a null of Binomial(96, 0.25) (mean 24, sd 4.2), p = P(X >= 68) = 5.5e-21.
    // The n-gram model is not perfectly flat; the measured median p is ~1e-15, i.e.
    // ~60 green (rate 0.62). Missing alpha = 1e-2 needs <= 34 green (the 1e-2 critical
    // value of Binomial(96, 0.25) is 35): 5 sd below that, ~1e-7 per document.
    const clean = row('kgw-ref', 'none')
    expect(clean.tpr['1e-2'][1]).toBe(1)
    expect(clean.medianLog10P[1]).toBeLessThan(-8)
    // More tokens, more evidence.
    expect(clean.medianLog10P[1]).toBeLessThan(clean.medianLog10P[0])
  })

  it('shows homoglyphs fully repaired by normalization, and fatal without it', () => {
    for (const c of report.configs) {
      const clean = c.power.find((r) => r.id === 'none')!
      const attacked = c.power.find((r) => r.id === 'homoglyph@1')!
      const raw = c.power.find((r) => r.id === 'homoglyph@1:raw')!
      expect(attacked.tpr).toEqual(clean.tpr)
      expect(attacked.medianLog10P).toEqual(clean.medianLog10P)
      expect(raw.tpr['1e-6'][1]).toBeLessThan(clean.tpr['1e-6'][1])
    }
  })

  it('keeps the empirical false-positive count at 1e-2 within its binomial bound', () => {
    // Under the null, the count of 100 pieces with p < 1e-2 is at most Binomial(100, 1e-2)
    // (exact p-values of discrete scores are conservative). Fail only beyond the count
    // that Binomial(100, 1e-2) exceeds with probability < 1e-6.
    for (const c of report.configs) {
      const n = c.fpr.pieces
      const r = c.fpr.rows.find((x) => x.alpha === '1e-2')!
      let bound = 0
      while (binomialUpperTailLog(bound + 1, n, 1e-2) > Math.log(1e-6)) bound++
      expect(bound).toBeLessThan(10)
      expect(r.count).toBeLessThanOrEqual(bound)
      expect(r.rate).toBe(r.count / n)
      expect(r.ci95[0]).toBeLessThanOrEqual(r.rate)
      expect(r.ci95[1]).toBeGreaterThanOrEqual(r.rate)
      expect(r.verdict).not.toBe('ABOVE alpha')
      // The further keys too: each count within the same bound.
      for (const k of c.fpr.keySpread[0].counts) expect(k).toBeLessThanOrEqual(bound)
    }
  })

  it('writes the Markdown report with its tables', () => {
    const md = readFileSync(join(dir, 'eval.md'), 'utf8')
    expect(existsSync(join(dir, 'eval.json'))).toBe(true)
    expect(md).toContain('## Summary (TPR at FPR 1e-6 at 100 generated tokens)')
    expect(md).toMatch(/\| config \| clean \| substitution 0\.3 \| copy-paste 0\.9 \|/)
    expect(md).toContain('## Defaults')
    expect(md).toContain('### kgw-ref')
    expect(md).toContain('### gumbel-h4')
    expect(md).toContain('| condition | n | 50 tok | 100 tok |')
    expect(md).toMatch(/\| no attack \| 6 \| [01]\.\d\d \/ [01]\.\d\d \/ [01]\.\d\d \|/)
    expect(md).toContain('homoglyph 1 (normalization off)')
    expect(md).toContain('## Empirical false-positive rate on held-out human text')
    expect(md).toContain('## Context width')
    expect(md).toContain('### Key dependence of the false-positive rate')
  })
})
