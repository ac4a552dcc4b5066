import { describe, expect, it } from 'vitest'
import { detect } from '@tracemark/detector'
import { generateKey, type SpecInput } from '@tracemark/watermark'
import { testSecret, watermarkedWords } from './helpers.js'

// Repeating a watermarked passage adds no evidence: the repeated (context, token)
// tuples are the same PRF draws. Copies 3..50 add no tuple that copies 1..2 lack
// (the only new windows are the ones spanning a copy boundary, identical at every
// boundary), so the p-value of 50 copies must equal that of 2 copies exactly, and
// must not fall below that of a single copy.
describe('repeated text carries no extra evidence', () => {
  for (const spec of [{ scheme: 'kgw' }, { scheme: 'gumbel' }, { scheme: 'synthid' }, { scheme: 'unigram' }] as SpecInput[]) {
    it(JSON.stringify(spec), () => {
      const key = generateKey(spec, { secret: testSecret(1, 11) })
      const { ids } = watermarkedWords(key, 30, 3)
      const copies = (k: number) => Uint32Array.from({ length: ids.length * k }, (_, i) => ids[i % ids.length])
      const one = detect(ids, key)
      const two = detect(copies(2), key)
      const fifty = detect(copies(50), key)
      expect(fifty.tokens).toBe(50 * ids.length)
      expect(fifty.scored).toBe(two.scored)
      expect(fifty.pValue).toBe(two.pValue)
      expect(fifty.pValue).toBeGreaterThanOrEqual(one.pValue)
      // The same holds for text: a sentence pasted 50 times.
      const text = watermarkedWords(key, 30, 3).text
      const t1 = detect(text, key)
      const t50 = detect(Array(50).fill(text).join(''), key)
      expect(t50.pValue).toBeGreaterThanOrEqual(t1.pValue)
    })
  }
})
