import { getTokenizer } from '@tracemark/detector'
import { sampleLogits, seededRandom } from '@tracemark/watermark'
import { beforeAll, describe, expect, it } from 'vitest'
import { entropySummary, newStepStats, recordStep, summarizeSteps, unseenTokens } from '../src/entropy.js'
import { generate, hostLogits } from '../src/generate.js'
import { loadOrTrainDefaultModel } from '../src/model/default.js'
import type { NgramModel } from '../src/model/ngram.js'

const EOT = 100_257

/** The host's distribution by the book: sort everything, softmax at T, keep top-k, then the top-p prefix. */
function naiveDistribution(logits: Float32Array, t: number, k: number, p: number): Map<number, number> {
  const ids = [...logits.keys()].filter((i) => logits[i] !== -Infinity).sort((a, b) => logits[b] - logits[a] || a - b)
  const kept = k > 0 ? ids.slice(0, k) : ids
  const w = kept.map((i) => Math.exp(logits[i] / t))
  const z = w.reduce((a, b) => a + b, 0)
  const out = new Map<number, number>()
  let mass = 0
  for (let j = 0; j < kept.length && mass < p * z; j++) {
    out.set(kept[j], w[j])
    mass += w[j]
  }
  for (const [i, v] of out) out.set(i, v / mass)
  return out
}

describe('per-step entropy of the generating distribution', () => {
  const random = seededRandom(7)
  const V = 60
  const logits = new Float32Array(V)
  for (let i = 0; i < V; i++) logits[i] = 3 * Math.log(random() + 1e-3) + (i % 7 === 0 ? 2 : 0)
  logits[5] = -Infinity
  logits[17] = logits[18] // a tie, broken toward the lower id as the sampler does

  for (const [t, k, p] of [
    [1, 0, 1],
    [0.5, 0, 1],
    [1, 0, 0.9],
    [0.7, 0, 0.5],
    [1.3, 10, 1],
    [0.8, 12, 0.8],
  ] as const) {
    it(`T=${t} top-k=${k} top-p=${p}: equals the entropy of the distribution computed by the book, whose support is the sampler's`, () => {
      const stats = newStepStats()
      recordStep(stats, logits, { temperature: t, topK: k, topP: p }, 3)
      const q = naiveDistribution(logits, t, k, p)
      let h = 0
      for (const v of q.values()) h -= v * Math.log(v)
      expect(stats.entropy[0]).toBeCloseTo(h, 10)
      // ln p(token) is always under the untruncated distribution at temperature 1.
      const base = naiveDistribution(logits, 1, 0, 1)
      expect(stats.logProb[0]).toBeCloseTo(Math.log(base.get(3)!), 10)
      // The watermark package's sampler never leaves the support computed here.
      const r = seededRandom(11)
      for (let n = 0; n < 2000; n++) expect(q.has(sampleLogits(logits, { temperature: t, topK: k, topP: p, random: r }))).toBe(true)
    })
  }

  it('greedy sampling has entropy 0; quantiles are nearest-rank', () => {
    const stats = newStepStats()
    recordStep(stats, logits, { temperature: 0 }, 0)
    expect(stats.entropy[0]).toBe(0)
    const s = entropySummary([4, 1, 3, 2, 5, 6, 7, 8, 9, 10])
    expect(s).toEqual({ steps: 10, mean: 5.5, p10: 1, p50: 5, p90: 9 })
  })
})

describe('controlled-entropy generation with the reference model', () => {
  let model: NgramModel
  beforeAll(() => {
    model = loadOrTrainDefaultModel()
  }, 600_000)

  it('never emits a token the model did not see in training; without the mask, the back-off does', () => {
    const ids = unseenTokens(model, EOT)
    // About 64 % of cl100k_base never occurs in the training split.
    expect(ids.length).toBeGreaterThan(50_000)
    const isUnseen = new Uint8Array(model.vocabSize)
    for (const w of ids) isUnseen[w] = 1
    const unseen = { has: (w: number) => isUnseen[w] === 1 }
    const prompts = ['The committee reported that', 'In the year 1962 the', 'He looked at her and']
    let masked = 0
    let unmasked = 0
    let expectedUnmasked = 0
    const logits = new Float32Array(model.vocabSize)
    for (const [i, prompt] of prompts.entries()) {
      const a = generate(model, { watermark: false, prompt, maxTokens: 200, seed: i, stopAtEnd: false })
      masked += Array.from(a.ids).filter((t) => unseen.has(t)).length
      const b = generate(model, { watermark: false, prompt, maxTokens: 200, seed: i, stopAtEnd: false, maskUnseen: false })
      unmasked += Array.from(b.ids).filter((t) => unseen.has(t)).length
      // The expected number of unseen tokens along b's path: Σ_steps of their probability mass.
      const ctx: number[] = Array.from(getTokenizer('cl100k_base').encode(prompt))
      for (const t of b.ids) {
        hostLogits(model, ctx, logits, false, false)
        let z = 0
        let zu = 0
        for (let w = 0; w < logits.length; w++) {
          const e = Math.exp(logits[w])
          z += e
          if (isUnseen[w]) zu += e
        }
        expectedUnmasked += zu / z
        ctx.push(t)
      }
    }
    expect(masked).toBe(0)
    // With an expected count >= 5, P(no unseen token) <= e^-5 < 1 % (Poisson bound on a sum of independent-enough Bernoullis).
    expect(expectedUnmasked).toBeGreaterThan(5)
    expect(unmasked).toBeGreaterThan(0)
  }, 120_000)

  it('lower temperature gives lower entropy and lower perplexity under the model; stats cover every step', () => {
    const run = (temperature: number, topP = 1) => {
      const stats = [0, 1].map(() => newStepStats())
      stats.forEach((s, i) => generate(model, { watermark: false, prompt: 'The committee reported that', maxTokens: 100, seed: 10 + i, stopAtEnd: false, temperature, topP, stats: s }))
      for (const s of stats) expect(s.entropy.length).toBe(100)
      return summarizeSteps(stats)
    }
    const t1 = run(1)
    const t07 = run(0.7)
    const t05 = run(0.5)
    const p09 = run(1, 0.9)
    expect(t1.entropy.mean).toBeGreaterThan(t07.entropy.mean)
    expect(t07.entropy.mean).toBeGreaterThan(t05.entropy.mean)
    expect(t1.entropy.mean).toBeGreaterThan(p09.entropy.mean)
    expect(t1.perplexity).toBeGreaterThan(t05.perplexity)
    expect(t05.entropy.p10).toBeLessThanOrEqual(t05.entropy.p50)
    expect(t05.entropy.p50).toBeLessThanOrEqual(t05.entropy.p90)
  }, 120_000)
})
