import { describe, expect, it } from 'vitest'
import { createWatermarker, generateKey, seededRandom, type SpecInput } from '@tracemark/watermark'
import { chiSquareGoodnessOfFit } from '../packages/detector/src/stats/chisquare.js'
import { testSecret } from './helpers.js'

// gumbel and synthid must not change the distribution of text: averaged over
// keys and contexts, the sampled token frequencies equal the model's
// probabilities. A fixed 12-token distribution, 40 keys x 1000 fresh contexts
// each: a chi-square goodness-of-fit test with 11 degrees of freedom. Under the
// hypothesis the test's p-value is uniform, so p > 1e-3 fails a correct sampler
// with probability 1e-3; the seeds are fixed, so the outcome is deterministic.
// kgw, which is not distortion-free, is the control: it must fail the same test.
const V = 12
const PROBS = [0.3, 0.2, 0.12, 0.1, 0.08, 0.06, 0.05, 0.04, 0.025, 0.015, 0.007, 0.003]
const LOGITS = Float32Array.from(PROBS, (p) => Math.log(p))
const KEYS = 40
const CONTEXTS = 1000

function frequencies(spec: SpecInput): number[] {
  const counts = new Array(V).fill(0)
  const rnd = seededRandom(99)
  for (let k = 0; k < KEYS; k++) {
    const wm = createWatermarker(generateKey({ ...spec, vocabSize: V }, { secret: testSecret(k, 3) }))
    for (let c = 0; c < CONTEXTS; c++) {
      // A random 4-token prompt is a fresh context window.
      const prompt = Array.from({ length: 4 }, () => Math.floor(rnd() * V))
      const s = wm.session({ prompt })
      counts[s.sample(LOGITS, { random: rnd })]++
    }
  }
  return counts
}

describe('distortion-free sampling', () => {
  const expected = PROBS.map((p) => p * KEYS * CONTEXTS)
  for (const spec of [{ scheme: 'gumbel' }, { scheme: 'synthid' }, { scheme: 'synthid', depth: 30 }] as SpecInput[]) {
    it(`${JSON.stringify(spec)} matches the model distribution`, () => {
      const fit = chiSquareGoodnessOfFit(frequencies(spec), expected)
      expect(fit.pValue).toBeGreaterThan(1e-3)
    })
  }

  it('control: kgw (delta 2) is detectably distorted by the same test', () => {
    const fit = chiSquareGoodnessOfFit(frequencies({ scheme: 'kgw', seeding: 'left', h: 4 }), expected)
    expect(fit.pValue).toBeLessThan(1e-6)
  })
})
