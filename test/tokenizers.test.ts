import { createRequire } from 'node:module'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { getTokenizer, TOKENIZER_NAMES } from '@tracemark/detector'
import { loadCorpus } from '../packages/lab/src/corpus/corpus.js'

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

  // The scan's memory depends on it: gpt-tokenizer's own LRU merge cache churns the old
  // generation on long scans (see steadyMergeCache). If a library upgrade changes its
  // internals, the replacement is silently skipped: this says so.
  it('gpt-tokenizer merges rare pieces through the steady cache, with the same ids from the cache', () => {
    const b = getTokenizer('cl100k_base', 'gpt-tokenizer')
    const a = getTokenizer('cl100k_base', 'tiktoken')
    const load = createRequire(join(__dirname, '../packages/detector/package.json'))
    const core = load('gpt-tokenizer/encoding/cl100k_base').default.bytePairEncodingCoreProcessor
    expect(core.mergeCacheSize).toBe(0)
    expect(Object.hasOwn(core, 'bytePairEncode')).toBe(true)
    // Pieces that are not vocabulary entries go through the merge; the second pass reads them back.
    const rare = Array.from({ length: 2000 }, (_, i) => `zq${i.toString(36)}xv${(i * 7919).toString(36)}kj`).join(' ')
    for (let pass = 0; pass < 2; pass++) expect(Array.from(b.encode(rare))).toEqual(Array.from(a.encode(rare)))
  })
})

