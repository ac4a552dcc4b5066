import { describe, expect, it } from 'vitest'
import { createWatermarker, generateKey, sampleLogits, seededRandom, type SpecInput } from '../src/index.js'

const V = 1000
const SPECS: SpecInput[] = [
  { scheme: 'gumbel', vocabSize: V },
  { scheme: 'gumbel', vocabSize: V, fingerprint: { bits: 32 } },
  { scheme: 'kgw', vocabSize: V, fingerprint: { bits: 32, embedding: 'bias' } },
  // h = 1 over a narrow support repeats windows often: the unwatermarked draw, whose result depends on candidate order.
  { scheme: 'kgw', seeding: 'left', h: 1, vocabSize: V },
  { scheme: 'synthid', vocabSize: V },
  { scheme: 'unigram', vocabSize: V },
]

/** Logits finite on a random tenth of the vocabulary; `support` lists those ids ascending, `poisoned` has NaN everywhere else. */
function sparseStep(rnd: () => number) {
  const logits = new Float32Array(V).fill(-Infinity)
  const poisoned = new Float32Array(V).fill(NaN)
  const ids: number[] = []
  for (let i = 0; i < V; i++) {
    if (rnd() < 0.1) {
      logits[i] = poisoned[i] = 4 * Math.log(rnd() + 1e-9)
      ids.push(i)
    }
  }
  return { logits, poisoned, support: Int32Array.from(ids) }
}

describe('sampling with a support (hosts with sparse logits)', () => {
  for (const spec of SPECS) {
    it(`${JSON.stringify(spec)}: draws the tokens of the full logits, reading no logit outside the support`, () => {
      const wm = createWatermarker(generateKey(spec, { secret: new Uint8Array(32).fill(4) }))
      const payload = spec.fingerprint ? 1234 : undefined
      const full = wm.session({ prompt: [1, 2, 3, 4], payload })
      const sparse = wm.session({ prompt: [1, 2, 3, 4], payload })
      const steps = seededRandom(11)
      const r1 = seededRandom(5)
      const r2 = seededRandom(5)
      for (let step = 0; step < 300; step++) {
        const { logits, poisoned, support } = sparseStep(steps)
        const temperature = step % 10 === 0 ? 0 : 0.8
        // NaN outside the support would throw if it were read.
        expect(sparse.sample(poisoned, { topK: 20, temperature, random: r2, support })).toBe(full.sample(logits, { topK: 20, temperature, random: r1 }))
      }
    })
  }

  it('plain sampling (no key) takes a support too', () => {
    const steps = seededRandom(2)
    const r1 = seededRandom(9)
    const r2 = seededRandom(9)
    for (let step = 0; step < 300; step++) {
      const { logits, poisoned, support } = sparseStep(steps)
      expect(sampleLogits(poisoned, { topK: 30, random: r2, support })).toBe(sampleLogits(logits, { topK: 30, random: r1 }))
    }
  })

  it('rejects a support that is not strictly ascending ids below the vocabulary size, naming the entry', () => {
    const { logits } = sparseStep(seededRandom(1))
    expect(() => sampleLogits(logits, { topK: 5, support: [3, 3, 7] })).toThrow(/support\[1\] = 3: support must be strictly ascending token ids below 1000/)
    expect(() => sampleLogits(logits, { topK: 5, support: [3, 1000] })).toThrow(/support\[1\] = 1000/)
    expect(() => sampleLogits(logits, { topK: 5, support: [0.5] })).toThrow(/support\[0\] = 0.5/)
  })
})
