import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { getTokenizer, TOKENIZER_NAMES } from '@tracemark/detector'
import { DEFAULT_TOKENIZER_BACKEND } from '../packages/detector/src/text/tokenizer.js'

// The default backend (gpt-tokenizer) must give tiktoken's ids on any text, not
// only on English prose. The stress corpus: every code point of the BMP below
// U+3000 and every 37th above it through plane 16 (all planes, unassigned and
// private-use included), each alone, between letters, doubled, after a space and
// a digit, then before a newline; runs of digits, spaces, tabs and newlines; and
// 20 000 fixed-seed random strings over the characters where regex engines and
// Unicode tables disagree (U+0085, U+FEFF, U+2028, NBSP, lone surrogates,
// contractions, special-token strings, combining marks, emoji sequences).
const TRICKY = [' ', '  ', '\u0085', '\u00a0', '\u2028', '\u2029', '\u3000', '\u1680', '\u200b', '\ufeff', '\u000b', '\u000c', '\u001c', '\r', '\n', '\t', '1', '23', '456', 'a', 'Z', 'é', "'", "'s", "'S", "'ll", '中', '文', '😀', '👨‍👩‍👧', '\u0301', '.', ',', '!', '?', '-', '_', '<|endoftext|>', '<|im_start|>', 'Ω', 'ß', 'İ', 'ǅ', '\u0600', 'ا', '\ud800', '\udc00', 'ÿ', '\u0000', '\u007f', '\u00ad']

function stressTexts(): string[] {
  const texts: string[] = []
  let chunk = ''
  let n = 0
  for (let cp = 0; cp < 0x110000; cp += cp < 0x3000 ? 1 : 37) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue
    const c = String.fromCodePoint(cp)
    chunk += `${c}a${c}${c} ${c}1${c}\n`
    if (++n % 64 === 0) {
      texts.push(chunk)
      chunk = ''
    }
  }
  texts.push(chunk)
  for (const len of [1, 2, 3, 4, 5, 9, 17, 100, 1000]) {
    texts.push('1234567890'.repeat(len).slice(0, len * 3), ' '.repeat(len) + 'x', `x${'\n'.repeat(len)}y${' \n'.repeat(len)}`, '\t'.repeat(len) + '\r\n'.repeat(len))
  }
  let seed = 12345
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32
  for (let i = 0; i < 20_000; i++) {
    let s = ''
    const len = 1 + Math.floor(rnd() * 12)
    for (let j = 0; j < len; j++) s += TRICKY[Math.floor(rnd() * TRICKY.length)]
    texts.push(s)
  }
  return texts
}

describe('the default tokenizer backend is id-exact on a stress corpus', () => {
  const texts = stressTexts()
  it('defaults to gpt-tokenizer', () => {
    expect(DEFAULT_TOKENIZER_BACKEND).toBe('gpt-tokenizer')
    expect(getTokenizer('cl100k_base').backend).toBe('gpt-tokenizer')
  })

  for (const name of TOKENIZER_NAMES) {
    it(`${name}: identical ids to tiktoken on ${texts.length} stress texts`, () => {
      const ref = getTokenizer(name, 'tiktoken')
      const fast = getTokenizer(name, 'gpt-tokenizer')
      const differing: string[] = []
      for (const t of texts) {
        const a = ref.encode(t)
        const b = fast.encode(t)
        if (a.length !== b.length || a.some((x, i) => x !== b[i])) differing.push(JSON.stringify(t))
      }
      expect(differing.slice(0, 5)).toEqual([])
    })
  }

  it('needs its fallback: the library alone differs where \\s differs (U+0085, U+FEFF)', () => {
    const raw = createRequire(import.meta.url)('gpt-tokenizer/encoding/cl100k_base') as { encode(t: string, o: object): number[] }
    const ref = getTokenizer('cl100k_base', 'tiktoken')
    const nospecials = { disallowedSpecial: new Set<string>() }
    for (const t of ["\u0085's\f's.\f", '\ufeff ']) {
      expect(raw.encode(t, nospecials)).not.toEqual(Array.from(ref.encode(t)))
      expect(Array.from(getTokenizer('cl100k_base', 'gpt-tokenizer').encode(t))).toEqual(Array.from(ref.encode(t)))
    }
  })
})
