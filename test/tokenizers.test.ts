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

  it('gpt-tokenizer decodes a text past its 256 KiB scratch buffer whole, cut characters included', () => {
    // ~100k CJK characters: ~300 KB of UTF-8, most characters over two ids.
    let seed = 11
    const text = Array.from({ length: 100_000 }, () => String.fromCharCode(0x4e00 + ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % 20_000)).join('')
    const a = getTokenizer('cl100k_base', 'tiktoken')
    const b = getTokenizer('cl100k_base', 'gpt-tokenizer')
    const ids = b.encode(text)
    expect(b.decode(ids)).toBe(text)
    const cut = ids.subarray(0, ids.length - 1)
    expect(b.decode(cut)).toBe(a.decode(cut))
    expect(b.decode(ids.subarray(0, 10))).toBe(a.decode(ids.subarray(0, 10)))
  })

  it('gpt-tokenizer decodes special tokens as tiktoken does and refuses ids outside the vocabulary', () => {
    for (const name of TOKENIZER_NAMES) {
      const a = getTokenizer(name, 'tiktoken')
      const b = getTokenizer(name, 'gpt-tokenizer')
      // <|endoftext|> is 100257 in cl100k_base and 199999 in o200k_base: not in the merge table.
      const special = name === 'cl100k_base' ? 100_257 : 199_999
      const ids = [...a.encode('before '), special, ...a.encode(' after')]
      expect(b.decode(ids)).toBe(a.decode(ids))
      expect(b.decode(ids)).toContain('<|endoftext|>')
      for (const bad of [-1, b.vocabSize, 1.5, Number.NaN]) expect(() => b.decode([1, bad])).toThrow(`token ${bad} is not in ${name}`)
    }
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
