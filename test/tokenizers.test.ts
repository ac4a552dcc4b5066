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
})
