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

  it('keeps the extreme tuples 0 and 2^52 - 1 apart from empty slots, and stays exact after a huge fill shrinks it', () => {
    const set = createTupleSet(4)
    expect(set.has(0)).toBe(false)
    expect(set.add(0)).toBe(true)
    expect(set.add(0)).toBe(false)
    expect(set.add(2 ** 52 - 1)).toBe(true)
    expect(set.has(2 ** 52 - 2)).toBe(false)
    expect(set.size).toBe(2)
    // A large document grows the table; the clears after it (one fill, then one
    // small one) give the table back without losing or inventing a tuple.
    for (let t = 0; t < 100_000; t++) set.add(t * 4099)
    expect(set.size).toBe(100_001) // 0 was already in, 2^52 - 1 too
    set.clear()
    expect(set.has(0)).toBe(false)
    for (let t = 0; t < 10; t++) expect(set.add(t)).toBe(true)
    set.clear()
    expect(set.size).toBe(0)
    for (let t = 0; t < 10; t++) expect(set.has(t)).toBe(false)
    for (let t = 0; t < 50_000; t++) expect(set.add(t * 7)).toBe(true)
    for (let t = 0; t < 50_000; t++) expect(set.has(t * 7 + 1)).toBe(false)
  })
})
