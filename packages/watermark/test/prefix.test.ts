import { describe, expect, it } from 'vitest'
import { createWatermarker, DEFAULT_PREFIX_NATS, generateKey, PREFIX_MAX_TOKENS, sampleLogits, seededRandom, type WatermarkKey } from '../src/index.js'

// Gumbel's plain opening prefix: the session samples plainly until the drawn tokens'
// surprisal reaches prefixNats, then races. The race is a function of key and window,
// so without the prefix a regenerated answer is a copy.
const V = 500
const secret = Uint8Array.from({ length: 32 }, (_, i) => 7 * i + 1)
const key: WatermarkKey = generateKey({ scheme: 'gumbel', vocabSize: V }, { secret })
const prompt = [11, 12, 13, 14]

/** Per-step logits of a toy model: a fixed function of the step, ~3-4 nats of entropy. */
function stepLogits(step: number, out: Float32Array): Float32Array {
  const r = seededRandom(1000 + step)
  for (let j = 0; j < V; j++) out[j] = 1.2 * Math.log(r() + 1e-12)
  return out
}

function run(k: WatermarkKey, samplerSeed: number, len: number, prefixNats?: number, p: number[] = prompt) {
  const s = createWatermarker(k).session({ prompt: p, prefixNats })
  const random = seededRandom(samplerSeed)
  const logits = new Float32Array(V)
  const ids: number[] = []
  for (let i = 0; i < len; i++) ids.push(s.sample(stepLogits(i, logits), { random }))
  return { ids, prefix: s.prefixTokens, watermarked: s.watermarked }
}

/** −ln p of `id` under softmax(logits) at temperature 1. */
function surprisal(logits: Float32Array, id: number): number {
  let max = -Infinity
  for (const v of logits) max = Math.max(max, v)
  let z = 0
  for (const v of logits) z += Math.exp(v - max)
  return -(logits[id] - max - Math.log(z))
}

describe('gumbel plain prefix', () => {
  it('without it a one-stream key repeats its answer for any sampler seed; with it (the default) answers differ', () => {
    const a0 = run(key, 1, 40, 0).ids
    const b0 = run(key, 2, 40, 0).ids
    expect(b0).toEqual(a0) // the defect the prefix fixes
    const answers = new Set([1, 2, 3, 4, 5, 6].map((seed) => run(key, seed, 40).ids.join(',')))
    // Six prefixes of >= 8 nats: a given pair coincides with probability <= e^-8.
    expect(answers.size).toBe(6)
  })

  it('is exactly plain sampling until the surprisal reaches prefixNats, then exactly the race on the same windows', () => {
    const len = 40
    const a = run(key, 3, len)
    const logits = new Float32Array(V)
    // The prefix is the plain sampler's draws from the same random source.
    const random = seededRandom(3)
    let sum = 0
    for (let i = 0; i < a.prefix; i++) {
      stepLogits(i, logits)
      expect(sampleLogits(logits, { random })).toBe(a.ids[i])
      // It stops at the first token that brings the sum to DEFAULT_PREFIX_NATS: before it, below.
      expect(sum).toBeLessThan(DEFAULT_PREFIX_NATS)
      sum += surprisal(logits, a.ids[i])
    }
    expect(sum).toBeGreaterThanOrEqual(DEFAULT_PREFIX_NATS)
    expect(a.prefix).toBeGreaterThan(0)
    expect(a.watermarked).toBe(len - a.prefix)
    // After it, the tokens are the race's: a prefix-free session given the prefix as prompt
    // (same windows, same steps) makes the same choices.
    const s = createWatermarker(key).session({ prompt: [...prompt, ...a.ids.slice(0, a.prefix)], prefixNats: 0 })
    const r = seededRandom(99)
    for (let i = a.prefix; i < len; i++) expect(s.sample(stepLogits(i, logits), { random: r })).toBe(a.ids[i])
  })

  it('counts surprisal under the distribution actually sampled: 16 equally likely tokens give ln 16 each, so 8 nats take 3 tokens', () => {
    const s = createWatermarker(key).session({ prompt })
    const logits = new Float32Array(V).fill(-Infinity)
    for (let j = 0; j < 16; j++) logits[j] = 0
    const random = seededRandom(5)
    for (let i = 0; i < 10; i++) s.sample(logits, { random })
    expect(s.prefixTokens).toBe(Math.ceil(DEFAULT_PREFIX_NATS / Math.log(16)))
    // top-k 4 of the same logits: ln 4 per token, 6 tokens.
    const t = createWatermarker(key).session({ prompt })
    for (let i = 0; i < 10; i++) t.sample(logits, { random, topK: 4 })
    expect(t.prefixTokens).toBe(Math.ceil(DEFAULT_PREFIX_NATS / Math.log(4)))
  })

  it('stops after PREFIX_MAX_TOKENS on near-deterministic steps, so the rest is still watermarked', () => {
    const s = createWatermarker(key).session({ prompt })
    const logits = new Float32Array(V)
    logits[7] = 30 // p(other) ~ 500 e^-30: surprisal ~1e-10 per step
    const random = seededRandom(6)
    for (let i = 0; i < PREFIX_MAX_TOKENS + 10; i++) s.sample(logits, { random })
    expect(s.prefixTokens).toBe(PREFIX_MAX_TOKENS)
  })

  it('is off by default for schemes that draw from the random source at every step, and validated', () => {
    const kgw = generateKey({ scheme: 'kgw', vocabSize: V }, { secret })
    expect(run(kgw, 1, 10).prefix).toBe(0)
    expect(run(kgw, 1, 10, 4).prefix).toBeGreaterThan(0)
    for (const bad of [-1, Number.NaN, Infinity]) {
      expect(() => createWatermarker(key).session({ prefixNats: bad })).toThrow(/prefixNats/)
    }
  })

  it('applies to race-fingerprinted keys too: regenerations for one account differ', () => {
    const race = generateKey({ scheme: 'gumbel', vocabSize: V, fingerprint: { bits: 16 } }, { secret })
    const one = (seed: number, prefixNats?: number) => {
      const s = createWatermarker(race).session({ prompt, payload: 4242, prefixNats })
      const random = seededRandom(seed)
      const logits = new Float32Array(V)
      return Array.from({ length: 30 }, (_, i) => s.sample(stepLogits(i, logits), { random })).join(',')
    }
    expect(one(1, 0)).toBe(one(2, 0))
    expect(new Set([1, 2, 3, 4].map((seed) => one(seed))).size).toBe(4)
  })

  it('plainRate: answers that reach the same window separate again; without it they stay identical', () => {
    // Two requests whose prompts differ but end in the same 4-token window: with one
    // stream and no plain steps every later window is shared, so the answers are equal.
    const follow = (p: number[], seed: number, plainRate: number) => {
      const s = createWatermarker(key).session({ prompt: p, prefixNats: 0, plainRate })
      const random = seededRandom(seed)
      const logits = new Float32Array(V)
      const ids = Array.from({ length: 60 }, (_, i) => s.sample(stepLogits(i, logits), { random }))
      return { ids: ids.join(','), watermarked: s.watermarked }
    }
    expect(follow([1, 2, ...prompt], 1, 0).ids).toBe(follow([3, 4, ...prompt], 2, 0).ids)
    expect(follow([1, 2, ...prompt], 1, 0.25).ids).not.toBe(follow([3, 4, ...prompt], 2, 0.25).ids)
    // The plain steps are a Binomial(60, 0.25) count: 60 - watermarked within
    // 15 +- 4.5 sd (sd = sqrt(60 * 0.25 * 0.75) = 3.35), i.e. [0, 30].
    const plainSteps = 60 - follow([1, 2, ...prompt], 3, 0.25).watermarked
    expect(plainSteps).toBeGreaterThan(0)
    expect(plainSteps).toBeLessThanOrEqual(30)
    expect(follow([1, 2, ...prompt], 3, 1).watermarked).toBe(0)
    for (const bad of [-0.1, 1.5, Number.NaN]) expect(() => createWatermarker(key).session({ plainRate: bad })).toThrow(/plainRate/)
  })
})
