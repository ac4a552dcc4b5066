import { describe, expect, it } from 'vitest'
import { detect } from '@tracemark/detector'
import { generateKey, seededRandom, type SpecInput } from '@tracemark/watermark'
import { ksUniform } from '../packages/detector/src/stats/ks.js'
import { binomialBounds, randomizedPValue, testSecret } from './helpers.js'

// Under the null hypothesis (text that does not depend on the key) every p-value
// must be uniform. We score random token sequences, each with a fresh key, so the
// documents are independent and a KS test applies.
const DOCS = 2000
const TOKENS = 200
const V = 100_277
export const NULL_SCHEMES: SpecInput[] = [
  { scheme: 'kgw' },
  { scheme: 'kgw', seeding: 'left', h: 1, gamma: 0.5 },
  { scheme: 'gumbel' },
  { scheme: 'synthid' },
  { scheme: 'unigram' },
]

describe('p-values are uniform under the null (random tokens, fresh key per document)', () => {
  for (const spec of NULL_SCHEMES) {
    it(JSON.stringify(spec), () => {
      const rnd = seededRandom(2024)
      const exact: number[] = []
      const randomized: number[] = []
      for (let d = 0; d < DOCS; d++) {
        const key = generateKey(spec, { secret: testSecret(d, 1) })
        const ids = Uint32Array.from({ length: TOKENS }, () => Math.floor(rnd() * V))
        const r = detect(ids, key, { alpha: 0.01 })
        exact.push(r.pValue)
        randomized.push(randomizedPValue(r, key.spec, rnd()))
      }
      // KS on the randomized p-values: exactly uniform if the tail is computed right.
      // Under H0 the KS p-value is itself uniform, so P(ks < 1e-3) = 1e-3.
      const ks = ksUniform(randomized)
      expect(ks.pValue).toBeGreaterThan(1e-3)
      const [lo, hi] = binomialBounds(DOCS, 0.01)
      const fpRandomized = randomized.filter((p) => p < 0.01).length
      expect(fpRandomized).toBeGreaterThanOrEqual(lo)
      expect(fpRandomized).toBeLessThanOrEqual(hi)
      // The reported (non-randomized) p-value is conservative: never more false
      // positives than the randomized one, which is inside the bounds.
      const fpExact = exact.filter((p) => p < 0.01).length
      expect(fpExact).toBeLessThanOrEqual(hi)
      expect(fpExact).toBeLessThanOrEqual(fpRandomized)
    })
  }
})
