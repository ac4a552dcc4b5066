import { seededRandom } from '@tracemark/watermark'
import { describe, expect, it } from 'vitest'
import { createTupleSet } from '../../src/scan/tuple-set.js'

describe('tuple set', () => {
  it('answers as a Set<number> does on 52-bit tuples, through growth and clears', () => {
    const rnd = seededRandom(11)
    const set = createTupleSet(4)
    for (let round = 0; round < 5; round++) {
      const ref = new Set<number>()
      // Tuples as scoreTokens makes them: hi * 2^20 + (lo >>> 12); many repeats, from a small pool.
      const pool = Array.from({ length: 3000 }, () => Math.floor(rnd() * 2 ** 32) * 2 ** 20 + Math.floor(rnd() * 2 ** 20))
      for (let i = 0; i < 20_000; i++) {
        const t = pool[Math.floor(rnd() * (500 + round * 600))]
        expect(set.has(t)).toBe(ref.has(t))
        expect(set.add(t)).toBe(!ref.has(t))
        ref.add(t)
      }
      expect(set.size).toBe(ref.size)
      set.clear()
      expect(set.size).toBe(0)
      expect(pool.some((t) => set.has(t))).toBe(false)
    }
  })
})
