import { describe, expect, it } from 'vitest'
import { siphash24, siphashWords, sipKeyFromBytes } from '../src/siphash.js'
import { toHex } from '../src/encoding.js'
import { SIPHASH24_VECTORS } from './siphash-vectors.js'

const KEY = Uint8Array.from({ length: 16 }, (_, i) => i)

describe('SipHash-2-4', () => {
  it('matches all 64 reference vectors (lengths 0..63)', () => {
    for (let len = 0; len < 64; len++) {
      const msg = Uint8Array.from({ length: len }, (_, i) => i)
      expect(toHex(siphash24(KEY, msg)), `length ${len}`).toBe(SIPHASH24_VECTORS[len])
    }
  })

  it('hashes token words exactly as the same bytes in little-endian order', () => {
    const key = sipKeyFromBytes(KEY)
    const out = new Uint32Array(2)
    for (const tokens of [[], [0], [1, 2], [100276, 5, 99], [0xffffffff, 0, 7, 8, 9], [3, 1, 4, 1, 5, 9, 2, 6]]) {
      const words = Uint32Array.from(tokens)
      const bytes = new Uint8Array(words.buffer.slice(0)) // the host is little-endian (x86, ARM)
      siphashWords(key, words, 0, words.length, out)
      const digest = siphash24(KEY, bytes)
      const lo = (digest[0] | (digest[1] << 8) | (digest[2] << 16) | (digest[3] << 24)) >>> 0
      const hi = (digest[4] | (digest[5] << 8) | (digest[6] << 16) | (digest[7] << 24)) >>> 0
      expect([out[0], out[1]], JSON.stringify(tokens)).toEqual([lo, hi])
    }
  })

  it('reads a window in the middle of a longer array', () => {
    const key = sipKeyFromBytes(KEY)
    const a = new Uint32Array(2), b = new Uint32Array(2)
    siphashWords(key, [9, 9, 1, 2, 3, 9], 2, 3, a)
    siphashWords(key, [1, 2, 3], 0, 3, b)
    expect(a).toEqual(b)
  })

  it('rejects keys that are not 16 bytes', () => {
    expect(() => siphash24(new Uint8Array(15), new Uint8Array(1))).toThrow(/16 bytes/)
  })
})
