import { describe, expect, it } from 'vitest'
import { createWatermarker, generateKey, scoreTokens, seededRandom, type SpecInput } from '../src/index.js'

const V = 1000
const SCHEMES: SpecInput[] = [
  { scheme: 'kgw', vocabSize: V },
  { scheme: 'kgw', seeding: 'left', h: 1, vocabSize: V },
  { scheme: 'gumbel', vocabSize: V },
  { scheme: 'synthid', vocabSize: V },
  { scheme: 'unigram', vocabSize: V },
]

function randomLogits(rnd: () => number): Float32Array {
  const l = new Float32Array(V)
  for (let i = 0; i < V; i++) l[i] = 4 * Math.log(rnd() + 1e-9) // heavy left tail: a few likely tokens
  return l
}

describe('generation sessions', () => {
  for (const spec of SCHEMES) {
    const name = JSON.stringify(spec)

    it(`${name}: masked tokens are never sampled`, () => {
      const wm = createWatermarker(generateKey(spec))
      const s = wm.session({ prompt: [1, 2, 3, 4] })
      const rnd = seededRandom(7)
      for (let step = 0; step < 300; step++) {
        const l = randomLogits(rnd)
        // Mask every odd token: a host's grammar or stop-token constraint.
        for (let i = 1; i < V; i += 2) l[i] = -Infinity
        const id = s.sample(l, { random: rnd, temperature: 1.3 })
        expect(id % 2).toBe(0)
      }
    })

    it(`${name}: respects top-k (the token is among the k best after the watermark's own bias)`, () => {
      const wm = createWatermarker(generateKey(spec))
      const s = wm.session({ prompt: [5, 6, 7, 8] })
      const rnd = seededRandom(3)
      const delta = 'delta' in wm.spec ? wm.spec.delta : 0
      for (let step = 0; step < 200; step++) {
        const l = randomLogits(rnd)
        const id = s.sample(l, { random: rnd, topK: 5 })
        // No token outside the raw top-(5) can be chosen unless its bias lifted it:
        // count tokens strictly better than id by more than delta.
        const better = l.filter((v) => v > l[id] + delta).length
        expect(better).toBeLessThan(5)
      }
    })

    it(`${name}: temperature 0 is greedy and the same seed gives the same tokens`, () => {
      const key = generateKey(spec)
      const run = () => {
        const s = createWatermarker(key).session({ prompt: [9, 9, 9, 9] })
        const rnd = seededRandom(11)
        const out: number[] = []
        for (let i = 0; i < 50; i++) out.push(s.sample(randomLogits(rnd), { random: rnd, topP: 0.9 }))
        return out
      }
      expect(run()).toEqual(run())
      const s = createWatermarker(key).session()
      const l = randomLogits(seededRandom(5))
      let argmax = 0
      for (let i = 1; i < V; i++) if (l[i] > l[argmax]) argmax = i
      const delta = 'delta' in key.spec ? key.spec.delta : 0
      const greedy = s.sample(l, { temperature: 0 })
      // Greedy over the (possibly biased) logits: within delta of the raw argmax.
      expect(l[greedy]).toBeGreaterThanOrEqual(l[argmax] - delta)
    })

    it(`${name}: rejects NaN, +Infinity, wrong lengths and out-of-range tokens`, () => {
      const wm = createWatermarker(generateKey(spec))
      const s = wm.session()
      const l = new Float32Array(V)
      l[17] = NaN
      expect(() => s.sample(l)).toThrow(/logits\[17\] is NaN/)
      l[17] = Infinity
      expect(() => s.sample(l)).toThrow(/logits\[17\] is \+Infinity/)
      expect(() => s.sample(new Float32Array(V + 1))).toThrow(/length 1001 .* vocabulary size is 1000/)
      expect(() => s.sample(new Float32Array(V).fill(-Infinity))).toThrow(/every logit is -Infinity/)
      expect(() => s.sample(new Float32Array(V), { topP: 0 })).toThrow(/topP/)
      expect(() => s.sample(new Float32Array(V), { temperature: -1 })).toThrow(/temperature/)
      expect(() => s.accept(V)).toThrow(/not a token id/)
      expect(() => wm.session({ prompt: [1, -1] })).toThrow(/prompt\[1\]/)
    })
  }

  it('bias() adds delta exactly to the green tokens, leaves masks, and is refused by sampling schemes', () => {
    const key = generateKey({ scheme: 'kgw', seeding: 'left', h: 2, vocabSize: V, delta: 1.5 }, { secret: new Uint8Array(32).fill(9) })
    const wm = createWatermarker(key)
    const s = wm.session({ prompt: [10, 20] })
    const l = randomLogits(seededRandom(1))
    l[3] = -Infinity
    const before = Float32Array.from(l)
    s.bias(l)
    let raised = 0
    for (let i = 0; i < V; i++) {
      const d = l[i] - before[i]
      if (i === 3) expect(l[i]).toBe(-Infinity)
      else if (d !== 0) {
        expect(d).toBeCloseTo(1.5, 5)
        raised++
        // The scorer agrees that every raised token is green in this context.
        expect(scoreTokens(wm, [10, 20, i]).score[0]).toBe(1)
      } else expect(scoreTokens(wm, [10, 20, i]).score[0]).toBe(0)
    }
    // About gamma = 0.25 of 999 tokens: Binomial(999, 0.25) has sd 13.7, so 6 sd is 82.
    expect(Math.abs(raised - 250)).toBeLessThan(82)
    expect(() => createWatermarker(generateKey({ scheme: 'gumbel', vocabSize: V })).session().bias(l)).toThrow(/call session.sample/)
  })

  it('does not watermark a context window it already used', () => {
    const wm = createWatermarker(generateKey({ scheme: 'kgw', seeding: 'left', h: 1, vocabSize: V }))
    const s = wm.session({ prompt: [42] })
    const rnd = seededRandom(2)
    // Always emit token 42, so every step has the same window [42].
    const flat = new Float32Array(V)
    const l1 = Float32Array.from(flat)
    s.bias(l1)
    s.accept(42)
    const l2 = Float32Array.from(flat)
    s.bias(l2)
    expect(l1.some((v) => v !== 0)).toBe(true)
    expect(l2.every((v) => v === 0)).toBe(true)
    s.accept(42)
    expect(s.watermarked).toBe(1)
    expect(s.length).toBe(3)
    s.sample(flat, { random: rnd })
    expect(s.watermarked).toBe(1)
  })
})
