import { describe, expect, it } from 'vitest'
import { detect, radioactivityFromAnswers } from '@tracemark/detector'
import { computeKeyId, createWatermarker, generateKey, parseKey, resolveSpec, scoreTokens, seededRandom, serializeKey, type WatermarkKey } from '@tracemark/watermark'
import { testStatistic, uniqueScores } from '../packages/detector/src/detect.js'
import { sidakLog } from '../packages/detector/src/nonces.js'
import { ksUniform } from '../packages/detector/src/stats/ks.js'
import { binomialBounds, testSecret } from './helpers.js'

// Gumbel with per-request nonces: N keyed streams, one per request; detection takes
// the best stream at the exact price 1 - (1 - p_min)^N.
const V = 1000
const N = 16

/** A text of `len` tokens sampled through a session with a fixed nonce from random per-step logits (entropy ~2-3 nats). */
function generateWith(key: WatermarkKey, nonce: number | undefined, len: number, seed: number, samplerSeed = seed): Uint32Array {
  const rnd = seededRandom(seed)
  const sampler = seededRandom(samplerSeed + 1_000_000)
  // No plain prefix: these tests are about the streams alone (the prefix has its own tests).
  const s = createWatermarker(key).session({ prompt: [1, 2, 3, 4], nonce, prefixNats: 0 })
  const logits = new Float32Array(V)
  const out: number[] = []
  for (let i = 0; i < len; i++) {
    for (let j = 0; j < V; j++) logits[j] = 1.5 * Math.log(rnd() + 1e-12)
    out.push(s.sample(logits, { random: sampler }))
  }
  return Uint32Array.from(out)
}

describe('gumbel nonces: the spec', () => {
  it('a key without nonces resolves, serializes and parses to the same spec and keyId as before', () => {
    const old = generateKey({ scheme: 'gumbel', vocabSize: V }, { secret: testSecret(1) })
    expect('nonces' in old.spec).toBe(false)
    expect(resolveSpec({ scheme: 'gumbel', vocabSize: V })).toEqual(old.spec)
    const back = parseKey(serializeKey(old))
    expect(back.keyId).toBe(old.keyId)
    expect(back.spec).toEqual(old.spec)
    // Recording nonces makes a different key (the spec is part of the id).
    const withNonces = generateKey({ scheme: 'gumbel', vocabSize: V, nonces: N }, { secret: testSecret(1) })
    expect(withNonces.spec).toMatchObject({ nonces: N })
    expect(withNonces.keyId).not.toBe(old.keyId)
    expect(computeKeyId(withNonces.secret, withNonces.spec)).toBe(withNonces.keyId)
    expect(parseKey(serializeKey(withNonces)).spec).toEqual(withNonces.spec)
  })

  it('rejects bad nonce counts and bad per-request nonces, naming the field', () => {
    for (const n of [0, 4097, 1.5, '8']) expect(() => resolveSpec({ scheme: 'gumbel', nonces: n })).toThrow(/nonces/)
    expect(() => resolveSpec({ scheme: 'kgw', nonces: 4 })).toThrow(/nonces is not a parameter of scheme kgw/)
    const key = generateKey({ scheme: 'gumbel', vocabSize: V, nonces: N }, { secret: testSecret(2) })
    expect(() => createWatermarker(key).session({ nonce: N })).toThrow(/nonce must be an integer in 0\.\.15/)
    const one = generateKey({ scheme: 'gumbel', vocabSize: V }, { secret: testSecret(2) })
    expect(() => createWatermarker(one).session({ nonce: 1 })).toThrow(/one stream/)
    expect(createWatermarker(one).session({ nonce: 0 }).nonce).toBe(0)
  })
})

describe('gumbel nonces: generation', () => {
  const key = generateKey({ scheme: 'gumbel', vocabSize: V, nonces: N }, { secret: testSecret(3) })

  it('the same nonce gives the same answer; another nonce another answer; the default nonce is drawn per request', () => {
    const a = generateWith(key, 3, 60, 1)
    expect(generateWith(key, 3, 60, 1, 2)).toEqual(a) // the sampler seed does not matter: the race decides
    expect(generateWith(key, 4, 60, 1)).not.toEqual(a)
    // Without a nonce each session draws one from the CSPRNG: 20 sessions all on one
    // nonce has probability 16^-19.
    const wm = createWatermarker(key)
    const drawn = new Set(Array.from({ length: 20 }, () => wm.session().nonce))
    expect(drawn.size).toBeGreaterThan(1)
    for (const v of drawn) expect(v >= 0 && v < N && Number.isInteger(v)).toBe(true)
  })

  it('nonce 0 of a key is exactly the stream of the same secret without nonces (the legacy scheme)', () => {
    // Different keyIds give different subkeys, so compare through scoring instead:
    // a text made with nonce 0 is found at stream 0.
    const ids = generateWith(key, 0, 80, 5)
    expect(detect(ids, key).nonce).toBe(0)
  })

  it('detection finds the request nonce and pays exactly 1 - (1 - p_min)^N for it', () => {
    for (const nonce of [0, 7, 15]) {
      const ids = generateWith(key, nonce, 120, 10 + nonce)
      const r = detect(ids, key)
      expect(r.nonce).toBe(nonce)
      expect(r.detected).toBe(true)
      // Recompute the best stream's own p-value and the Šidák correction by hand.
      const u = uniqueScores(scoreTokens(createWatermarker(key), ids))
      const own = testStatistic(key.spec, u.n, u.sums[nonce]).logP
      expect(r.log10PValue * Math.LN10).toBeCloseTo(sidakLog(own, N), 8)
      // The price is at most ln N and at least 0.
      expect(r.log10PValue * Math.LN10 - own).toBeLessThanOrEqual(Math.log(N) + 1e-9)
      expect(r.log10PValue * Math.LN10 - own).toBeGreaterThan(Math.log(N) - 0.01)
    }
  })

  it('radioactivity pools every stream and uses the same corrected test', () => {
    const samples = Array.from({ length: 6 }, (_, i) => ({ prompt: [1, 2, 3, 4], answer: generateWith(key, 5, 60, 100 + i) }))
    const r = radioactivityFromAnswers(createWatermarker(key), samples)
    expect(r.log10PValue).toBeLessThan(-6)
    expect(r.nullHypothesis).toMatch(/16 nonce streams/)
  })
})

describe('gumbel nonces: the corrected p-value is uniform under the null', () => {
  // Random token sequences (they do not depend on the key), a fresh key per document
  // so documents are independent. If the N streams' p-values were not independent
  // uniforms, 1 - (1 - p_min)^N would not be uniform: this KS test is the check of the
  // independence the correction assumes. Under H0 the KS p-value is uniform, so
  // P(ks < 1e-3) = 1e-3; the seeds are fixed, so the outcome is deterministic.
  const DOCS = 1000
  const TOKENS = 60
  const corrected: number[] = []
  const naive: number[] = []
  const rnd = seededRandom(77)
  for (let d = 0; d < DOCS; d++) {
    const key = generateKey({ scheme: 'gumbel', vocabSize: V, nonces: N }, { secret: testSecret(d, 11) })
    const ids = Uint32Array.from({ length: TOKENS }, () => Math.floor(rnd() * V))
    const r = detect(ids, key, { alpha: 0.01 })
    corrected.push(r.pValue)
    const u = uniqueScores(scoreTokens(createWatermarker(key), ids))
    naive.push(Math.min(...Array.from(u.sums, (s) => Math.exp(testStatistic(key.spec, u.n, s).logP))))
  }

  it('KS test of the corrected p-values against U(0, 1), and the false-positive count at 0.01', () => {
    expect(ksUniform(corrected).pValue).toBeGreaterThan(1e-3)
    const [lo, hi] = binomialBounds(DOCS, 0.01)
    const fp = corrected.filter((p) => p < 0.01).length
    expect(fp).toBeGreaterThanOrEqual(lo)
    expect(fp).toBeLessThanOrEqual(hi)
  })

  it('control: the uncorrected best-of-16 p-value is far from uniform (P(min p < 0.05) = 1 - 0.95^16 = 0.56)', () => {
    const rate = naive.filter((p) => p < 0.05).length / DOCS
    // Binomial(1000, 0.56) has sd 0.016: 0.45 and 0.67 are 7 sd away.
    expect(rate).toBeGreaterThan(0.45)
    expect(rate).toBeLessThan(0.67)
  })
})

describe('gumbel nonces: every stream stays distortion-free', () => {
  // As in distortion-free.test.ts: a fixed 12-token distribution, 40 keys × 1000 fresh
  // contexts, each session on a nonce drawn from the seeded source; chi-square with 11
  // degrees of freedom. Under the hypothesis the p-value is uniform, so p > 1e-3 fails
  // a correct sampler with probability 1e-3; the seeds are fixed.
  it('sampled frequencies match the model', async () => {
    const { chiSquareGoodnessOfFit } = await import('../packages/detector/src/stats/chisquare.js')
    const probs = [0.3, 0.2, 0.12, 0.1, 0.08, 0.06, 0.05, 0.04, 0.025, 0.015, 0.007, 0.003]
    const logits = Float32Array.from(probs, (p) => Math.log(p))
    const counts = new Array(12).fill(0)
    const rnd = seededRandom(99)
    for (let k = 0; k < 40; k++) {
      const wm = createWatermarker(generateKey({ scheme: 'gumbel', vocabSize: 12, nonces: N }, { secret: testSecret(k, 13) }))
      for (let c = 0; c < 1000; c++) {
        const prompt = Array.from({ length: 4 }, () => Math.floor(rnd() * 12))
        counts[wm.session({ prompt, nonce: Math.floor(rnd() * N) }).sample(logits, { random: rnd })]++
      }
    }
    expect(chiSquareGoodnessOfFit(counts, probs.map((p) => p * 40_000)).pValue).toBeGreaterThan(1e-3)
  })
})
