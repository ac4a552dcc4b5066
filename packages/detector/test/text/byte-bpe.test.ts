import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { get_encoding } from 'tiktoken'
import { createByteBpe } from '../../src/text/byte-bpe.js'

/** A byte-level vocabulary: every byte at its own value, then the given strings from rank 256. */
function vocabulary(extra: string[]): Array<string | number[]> {
  return [...Array.from({ length: 256 }, (_, b) => [b]), ...extra]
}
const ids = (bpe: ReturnType<typeof createByteBpe>, text: string) => {
  const out = new Uint32Array(3 * text.length)
  return Array.from(out.subarray(0, bpe.encodePiece(text, 0, text.length, out, 0)))
}

describe('byte-level BPE', () => {
  it('merges the lowest-ranked pair first, the leftmost on ties, as tiktoken does', () => {
    // "bc" (256) outranks "ab" (257): a left-to-right merge would give [ab, c].
    const bpe = createByteBpe(vocabulary(['bc', 'ab', 'aa']))
    expect(ids(bpe, 'abc')).toEqual([97, 256])
    // Two equal pairs: the left one is merged, and the right "a" stays alone.
    expect(ids(bpe, 'aaa')).toEqual([258, 97])
    // A merged part is ranked again with its neighbours: "aa" + "bc" is no entry.
    expect(ids(bpe, 'aabc')).toEqual([258, 256])
    // A whole piece that is an entry is one id, whatever its pairs would merge to.
    expect(ids(createByteBpe(vocabulary(['bc', 'ab', 'abc'])), 'abc')).toEqual([258])
  })

  it('encodes text as UTF-8, a lone surrogate as U+FFFD (as TextEncoder does)', () => {
    const bpe = createByteBpe(vocabulary(['é', '😀']))
    expect(ids(bpe, 'é')).toEqual([256])
    expect(ids(bpe, '😀')).toEqual([257])
    // Merges go pair by pair: no entry joins the emoji's first two bytes, so inside a
    // longer piece it stays four bytes.
    expect(ids(bpe, '😀x')).toEqual([0xf0, 0x9f, 0x98, 0x80, 120])
    expect(ids(bpe, '\ud800')).toEqual([0xef, 0xbf, 0xbd])
    expect(ids(bpe, 'a\udc00')).toEqual([97, 0xef, 0xbf, 0xbd])
    expect(ids(bpe, '中')).toEqual(Array.from(new TextEncoder().encode('中')))
  })

  it('writes at the given offset and gives the same ids from its merge cache', () => {
    const bpe = createByteBpe(vocabulary(['bc', 'ab']))
    const out = new Uint32Array(64).fill(7)
    const long = 'xabcabcabcabcabc' // 16 units: cached as a copy, not a slice
    const end = bpe.encodePiece(`..${long}..`, 2, 2 + long.length, out, 3)
    expect(Array.from(out.subarray(0, 3))).toEqual([7, 7, 7])
    expect(out[end]).toBe(7)
    const first = Array.from(out.subarray(3, end))
    expect(ids(bpe, long)).toEqual(first)
    expect(ids(bpe, long)).toEqual(first)
  })

  it('keeps its ids when cache slots are taken over and its arenas emptied', () => {
    const core = (createRequire(import.meta.url)('gpt-tokenizer/encoding/cl100k_base') as { default: { bytePairEncodingCoreProcessor: { bytePairRankDecoder: Array<string | number[]> } } }).default.bytePairEncodingCoreProcessor
    const bpe = createByteBpe(core.bytePairRankDecoder)
    const enc = get_encoding('cl100k_base')
    // 30,000 distinct pieces of ~50 bytes: ~1.5 MB of keys, past the 512 KiB arena, and
    // many more pieces than the 16,384 slots hold without two sharing one.
    let seed = 5
    const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n)
    const pieces = Array.from({ length: 30_000 }, (_, k) => ` ${k.toString(36)}${Array.from({ length: 45 }, () => 'qxzjkv'[rnd(6)]).join('')}`)
    const first = pieces.map((p) => ids(bpe, p))
    for (let pass = 0; pass < 2; pass++) pieces.forEach((p, k) => expect(ids(bpe, p)).toEqual(first[k]))
    for (let k = 0; k < pieces.length; k += 97) expect(first[k]).toEqual(Array.from(enc.encode_ordinary(pieces[k])))
    enc.free()
  })

  it('refuses vocabularies it cannot hold', () => {
    expect(() => createByteBpe(vocabulary(['ab', 'ab']))).toThrow(/ranks 256 and 257 have the same bytes/)
    expect(() => createByteBpe(['a', ''])).toThrow(/rank 1 has 0 bytes/)
    expect(() => createByteBpe(['a', 'b'.repeat(1024)])).toThrow(/rank 1 has 1024 bytes/)
    // Not byte-level: "c" has no rank, so "abc" cannot be written.
    expect(() => ids(createByteBpe(['a', 'b', 'ab']), 'abc')).toThrow(/not byte-level/)
  })

  for (const name of ['cl100k_base', 'o200k_base'] as const) {
    it(`${name}: every vocabulary entry has its rank, and random byte-level pieces get tiktoken's ids`, () => {
      const core = (createRequire(import.meta.url)(`gpt-tokenizer/encoding/${name}`) as { default: { bytePairEncodingCoreProcessor: { bytePairRankDecoder: Array<string | number[]> } } }).default.bytePairEncodingCoreProcessor
      const decoder = core.bytePairRankDecoder
      const bpe = createByteBpe(decoder)
      const utf8 = new TextEncoder()
      let entries = 0
      for (let r = 0; r < decoder.length; r++) {
        const v = decoder[r]
        if (v === undefined) continue
        const b = typeof v === 'string' ? utf8.encode(v) : Uint8Array.from(v)
        if (bpe.rankOfBytes(b, 0, b.length) !== r) throw new Error(`rank ${r} not found`)
        entries++
      }
      // Whole pieces, twice: short ones are then read from the hot table, whose 4,096
      // slots the entries take from each other many times over.
      const text = decoder.filter((v): v is string => typeof v === 'string')
      for (let pass = 0; pass < 2; pass++) {
        for (const t of text) {
          const got = ids(bpe, t)
          if (got.length !== 1 || decoder[got[0]] !== t) throw new Error(`${JSON.stringify(t)} encoded as ${got}`)
        }
      }
      expect(entries).toBeGreaterThan(name === 'cl100k_base' ? 100_000 : 199_000)
      // Pieces as the split pattern makes them: one word with a leading space, mixed
      // scripts. tiktoken's encode_ordinary of a single piece is its BPE merge.
      const enc = get_encoding(name)
      const alphabet = ['a', 'e', 'q', 'z', 'é', 'ß', 'ж', '中', 'ا', '😀']
      let seed = 99
      const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n)
      for (let k = 0; k < 2000; k++) {
        let piece = ' '
        for (let i = 1 + rnd(12); i > 0; i--) piece += alphabet[rnd(alphabet.length)]
        expect(ids(bpe, piece)).toEqual(Array.from(enc.encode_ordinary(piece)))
      }
      // Long pieces (64 bytes and more merge through the heap): runs of letters, which
      // the split pattern keeps whole, from few letters (many equal joins: ties) to many.
      for (let k = 0; k < 300; k++) {
        const letters = alphabet.slice(0, 2 + rnd(alphabet.length - 2)).filter((c) => c !== '😀')
        let piece = ''
        for (let i = 20 + rnd(240); i > 0; i--) piece += letters[rnd(letters.length)]
        expect(ids(bpe, piece)).toEqual(Array.from(enc.encode_ordinary(piece)))
      }
      enc.free()
    })
  }
})
