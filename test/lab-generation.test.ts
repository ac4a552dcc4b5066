import { beforeAll, describe, expect, it } from 'vitest'
import { detect, getTokenizer } from '@tracemark/detector'
import { generateKey, SCHEME_NAMES } from '@tracemark/watermark'
import { ksUniform } from '../packages/detector/src/stats/ks.js'
import { generate } from '../packages/lab/src/generate.js'
import { loadOrTrainDefaultModel } from '../packages/lab/src/model/default.js'
import type { NgramModel } from '../packages/lab/src/model/ngram.js'
import { randomizedPValue, testSecret } from './helpers.js'

let model: NgramModel
beforeAll(() => {
  model = loadOrTrainDefaultModel()
})

describe('generation with the reference model', () => {
  it('is reproducible by seed and varies across seeds', () => {
    const key = generateKey({ scheme: 'kgw' }, { secret: testSecret(1, 21) })
    const a = generate(model, { key, prompt: 'The people of the', maxTokens: 60, seed: 5 })
    const b = generate(model, { key, prompt: 'The people of the', maxTokens: 60, seed: 5 })
    const c = generate(model, { key, prompt: 'The people of the', maxTokens: 60, seed: 6 })
    expect(Array.from(a.ids)).toEqual(Array.from(b.ids))
    expect(a.text).toBe(b.text)
    expect(Array.from(c.ids)).not.toEqual(Array.from(a.ids))
    expect(a.text).toBe(getTokenizer('cl100k_base').decode(a.ids))
  })

  // Measured on this model (eval tables): at 200 tokens every scheme reaches
  // p <= 1e-15 on most prompts. The bar 1e-6 is far inside that; detection is on
  // the decoded text, re-tokenized as an investigator would.
  for (const scheme of SCHEME_NAMES) {
    it(`${scheme}: watermarked text is detected at p < 1e-6 within 200 tokens`, () => {
      for (let i = 0; i < 3; i++) {
        const key = generateKey({ scheme }, { secret: testSecret(i, 22) })
        const g = generate(model, { key, prompt: 'In the year of our Lord', maxTokens: 200, seed: i, stopAtEnd: false })
        expect(g.ids.length).toBe(200)
        const r = detect(g.text, key)
        expect(r.pValue, `${scheme} doc ${i}`).toBeLessThan(1e-6)
      }
    })
  }

  // Unwatermarked generation is independent of the key: with a fresh key per text
  // the randomized p-values are Uniform(0,1), so the KS p-value is itself uniform
  // and exceeds 1e-3 with probability 0.999 (fixed seeds: deterministic).
  it('unwatermarked generation gives uniform p-values for every scheme', () => {
    const texts = Array.from({ length: 150 }, (_, i) =>
      generate(model, { prompt: 'It is', maxTokens: 60, seed: 1000 + i, watermark: false, stopAtEnd: false }).text,
    )
    for (const scheme of SCHEME_NAMES) {
      const ps = texts.map((t, i) => {
        const key = generateKey({ scheme }, { secret: testSecret(i, 23) })
        return randomizedPValue(detect(t, key), key.spec, ((i * 0.6180339887) % 1 + 0.5) % 1)
      })
      expect(ksUniform(ps).pValue, scheme).toBeGreaterThan(1e-3)
      expect(ps.filter((p) => p < 1e-6)).toHaveLength(0)
    }
  })
})
