import { createRequire } from 'node:module'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { getTokenizer, TOKENIZER_NAMES } from '@tracemark/detector'
import { loadCorpus } from '../packages/lab/src/corpus/corpus.js'
import { decodedLength } from '../packages/detector/src/text/decoded-length.js'

// gpt-tokenizer is offered as a faster backend only because it yields the same ids
// as tiktoken. This checks it on real text (every 4th Brown + SOTU document) and on
// the edge cases that trip BPE ports: special-token strings, emoji, CJK, long runs.
describe('tokenizer backends give identical ids', () => {
  const docs = loadCorpus().filter((_, i) => i % 4 === 0)
  const edge = [
    'plain <|endoftext|> and <|fim_prefix|> inside text',
    'emoji 👨‍👩‍👧 family, flags 🇫🇷, keycap 1️⃣',
    '中文文本和日本語のテキスト、한국어',
    ' '.repeat(300) + 'x' + '\n'.repeat(50) + 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
    "don't won't it's I'M YOU'LL 12345678901234567890 3.14159",
  ]
  for (const name of TOKENIZER_NAMES) {
    it(name, () => {
      const a = getTokenizer(name, 'tiktoken')
      const b = getTokenizer(name, 'gpt-tokenizer')
      expect(b.vocabSize).toBe(a.vocabSize)
      let tokens = 0
      for (const text of [...edge, ...docs.map((d) => d.text)]) {
        const x = a.encode(text)
        const y = b.encode(text)
        tokens += x.length
        expect(Array.from(y)).toEqual(Array.from(x))
        expect(b.decode(y)).toBe(a.decode(x))
      }
      expect(tokens).toBeGreaterThan(500_000)
    })
  }

  // The scan's speed depends on it: the gpt-tokenizer backend takes the library's split
  // pattern and vocabulary and merges with its own byte-level BPE (byte-bpe.ts). If a
  // library upgrade changes those internals, it silently falls back to the library's
  // slower encode: this says so.
  it('gpt-tokenizer pieces are merged by the byte-level BPE, with the same ids from its cache', () => {
    const a = getTokenizer('cl100k_base', 'tiktoken')
    const load = createRequire(join(__dirname, '../packages/detector/package.json'))
    const core = load('gpt-tokenizer/encoding/cl100k_base').default.bytePairEncodingCoreProcessor
    const own = core.bytePairEncode
    let libraryMerges = 0
    core.bytePairEncode = (piece: string) => (libraryMerges++, own.call(core, piece))
    try {
      const b = getTokenizer('cl100k_base', 'gpt-tokenizer')
      // Pieces that are not vocabulary entries go through the merge; the second pass reads them back.
      const rare = Array.from({ length: 2000 }, (_, i) => `zq${i.toString(36)}xv${(i * 7919).toString(36)}kj`).join(' ')
      for (let pass = 0; pass < 2; pass++) expect(Array.from(b.encode(rare))).toEqual(Array.from(a.encode(rare)))
    } finally {
      core.bytePairEncode = own
    }
    expect(libraryMerges).toBe(0)
  })
})


// Decoding must not depend on earlier calls: gpt-tokenizer's own decode holds the
// bytes of a character cut by the last id and puts them in front of the next call's
// text (one streaming TextDecoder for the module), which moved span offsets.
describe('decoding a token prefix', () => {
  // é, 漢, 字, 🙂: in cl100k_base 漢 and 🙂 are each split over two ids.
  const text = 'é漢字🙂 and \ufeffmore'
  for (const name of TOKENIZER_NAMES) {
    it(`${name}: each call on its own, a cut character as U+FFFD, both backends alike`, () => {
      const a = getTokenizer(name, 'tiktoken')
      const b = getTokenizer(name, 'gpt-tokenizer')
      const ids = a.encode(text)
      expect(b.decode(ids)).toBe(text)
      expect(a.decode(ids)).toBe(text)
      let cut = 0
      for (let i = 0; i <= ids.length; i++) {
        const head = b.decode(ids.subarray(0, i))
        expect(head).toBe(a.decode(ids.subarray(0, i)))
        expect(b.decode(ids.subarray(i))).toBe(a.decode(ids.subarray(i)))
        // The call after a cut prefix gives its own text, nothing carried over.
        expect(b.decode(a.encode('abc'))).toBe('abc')
        if (head.endsWith('\ufffd')) cut++
      }
      if (name === 'cl100k_base') expect(cut).toBeGreaterThan(0)
    })
  }

  it('decodedLength is the decoded text length, with or without characters cut between ids', () => {
    for (const name of TOKENIZER_NAMES) {
      for (const backend of ['tiktoken', 'gpt-tokenizer'] as const) {
        const tok = getTokenizer(name, backend)
        for (const t of [text, ...loadCorpus().slice(0, 5).map((d) => d.text.slice(0, 3000))]) {
          const ids = tok.encode(t)
          for (let i = 0; i <= ids.length; i += Math.max(1, ids.length >> 6)) {
            for (const part of [ids.subarray(0, i), ids.subarray(i)]) expect(decodedLength(tok, part)).toBe(tok.decode(part).length)
          }
        }
      }
    }
  })
})
