import { describe, expect, it } from 'vitest'
import { get_encoding } from 'tiktoken'
import { getTokenizer, TOKENIZER_NAMES } from '@tracemark/detector'
import { boundedPieces, boundRuns, MAX_RUN, runCuts } from '../../src/text/bounded-runs.js'
import { loadCorpus } from '../../../lab/src/corpus/corpus.js'

/** Length of the longest run of whitespace or of non-whitespace (the quantity bounded). */
const longestRun = (s: string) => Math.max(0, ...Array.from(s.matchAll(/\s+|\S+/gu), (m) => m[0].length))

const MiB = 1 << 20
const cjk = (n: number) => Array.from({ length: n }, (_, i) => String.fromCharCode(0x4e00 + ((i * 7919) % 20_000))).join('')
const letters = (n: number) => Array.from({ length: n }, (_, i) => String.fromCharCode(97 + ((i * 7) % 26))).join('')

/** An encoder that records the length of every text it is asked to encode (one id per unit). */
function countingEncoder() {
  const calls: number[] = []
  return {
    calls,
    tok: { name: 'counting', encode: (t: string) => (calls.push(t.length), new Uint32Array(t.length)) },
  }
}

describe('bounded runs: encode work linear in the text length', () => {
  const pathological: [string, string][] = [
    ['1 MiB of a', 'a'.repeat(MiB)],
    ['300K letters', letters(300_000)],
    ['100K CJK characters', cjk(100_000)],
    ['200K spaces', ' '.repeat(200_000)],
    ['100K emoji (surrogate pairs)', '😀'.repeat(50_000)],
  ]
  for (const [label, text] of pathological) {
    it(`${label}: pieces of at most ${MAX_RUN} units, one encode call per piece`, () => {
      const { calls, tok } = countingEncoder()
      const ids = boundRuns(tok).encode(text)
      // BPE cost is bounded per piece, so total work is (number of pieces) x (cost of one
      // piece) = O(length): ceil(n / MAX_RUN) pieces (a surrogate pair may shorten a piece by one).
      expect(calls.length).toBeGreaterThanOrEqual(Math.ceil(text.length / MAX_RUN))
      expect(calls.length).toBeLessThanOrEqual(Math.ceil(text.length / (MAX_RUN - 1)))
      expect(Math.max(...calls)).toBeLessThanOrEqual(MAX_RUN)
      expect(ids.length).toBe(text.length) // every unit encoded exactly once
      expect(boundedPieces(text).join('')).toBe(text)
      for (const p of boundedPieces(text)) expect(p).not.toMatch(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/) // no split pair
    })
  }

  it('cuts only inside over-long runs, at fixed offsets from the run start', () => {
    const long = 'b'.repeat(2 * MAX_RUN + 5)
    const text = `short words ${long} end`
    const start = 'short words '.length
    expect(runCuts(text)).toEqual([start + MAX_RUN, start + 2 * MAX_RUN])
    expect(runCuts('ordinary text, with punctuation; and numbers 12345.')).toEqual([])
    expect(runCuts('')).toEqual([])
  })

  it('skips the character loop only where it finds no cut', () => {
    // The cut loop written out plainly (runCuts checks first whether any run is long
    // enough to need it). Runs are built at the boundary, maxRun and maxRun + 1 units,
    // of every whitespace character and of non-whitespace broken only by whitespace
    // other than U+0020 (which the quick check's space search does not see).
    const reference = (text: string, maxRun: number) => {
      const cuts: number[] = []
      const space = (c: number) => /[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/.test(String.fromCharCode(c))
      let lastCut = 0
      for (let i = 1; i < text.length; i++) {
        const c = text.charCodeAt(i)
        if (space(c) !== space(text.charCodeAt(i - 1))) lastCut = i
        else if (i - lastCut >= maxRun) {
          const at = c >= 0xdc00 && c <= 0xdfff ? i - 1 : i
          if (at > lastCut) cuts.push((lastCut = at))
        }
      }
      return cuts
    }
    const spaces = [' ', '\t', '\n', '\r', '\u000b', '\u000c', '\u0085', '\u00a0', '\u1680', '\u2000', '\u2005', '\u200a', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000']
    const others = ['a', 'Z', '中', '😀', '\ufeff', '\u200b', '.', '1']
    let seed = 7
    const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n)
    let withCuts = 0
    for (let k = 0; k < 3000; k++) {
      const maxRun = [2, 3, 16, MAX_RUN][rnd(4)]
      let text = ''
      for (let r = rnd(6); r >= 0; r--) {
        const len = [1, maxRun - 1, maxRun, maxRun + 1, 2 * maxRun + 1][rnd(5)]
        // Non-whitespace (now and then broken by whitespace other than U+0020), any
        // whitespace, or whitespace that is half U+0020 (the quick search passes it).
        const kind = rnd(3)
        for (let i = 0; i < len; i++) {
          if (kind === 0) text += rnd(40) === 0 ? spaces[1 + rnd(spaces.length - 1)] : others[rnd(others.length)]
          else if (kind === 1) text += spaces[rnd(spaces.length)]
          else text += rnd(2) ? ' ' : spaces[1 + rnd(spaces.length - 1)]
        }
      }
      const want = reference(text, maxRun)
      if (want.length > 0) withCuts++
      expect(runCuts(text, maxRun)).toEqual(want)
    }
    // Both outcomes are exercised. A text is one run of at most maxRun units with
    // probability 1/6 * 3/5 = 0.1 (no cut), and starts with a whitespace run of over
    // maxRun units with probability 2/5 * 1/3 > 0.13 (a cut): ~300 and ~400 expected
    // at least, binomial sd < 20, so 150 is far below either.
    expect(withCuts).toBeGreaterThan(150)
    expect(3000 - withCuts).toBeGreaterThan(150)
  })

  it('the real tokenizers round-trip pathological text and keep each piece linear', () => {
    for (const name of TOKENIZER_NAMES) {
      const tok = getTokenizer(name, 'gpt-tokenizer')
      for (const text of ['a'.repeat(MiB), cjk(20_000) + ' x ' + '😀'.repeat(3000), '\n'.repeat(5000)]) {
        expect(tok.decode(tok.encode(text))).toBe(text)
      }
    }
  })

  it('a failing encoder names the tokenizer and the piece size, never the text', () => {
    const tok = boundRuns({ name: 'broken', encode: (_text: string): Uint32Array => { throw new Error('unreachable') } })
    expect(() => tok.encode('secret words')).toThrow(/^tokenizer broken failed on a 12-character piece of text: unreachable$/)
  })

  it('keeps every other member of the wrapped tokenizer', () => {
    const tok = getTokenizer('cl100k_base', 'tiktoken')
    expect([tok.name, tok.backend, tok.vocabSize]).toEqual(['cl100k_base', 'tiktoken', 100_277])
    expect(tok.decode(tok.encode('hello world'))).toBe('hello world')
  })
})

describe('bounded runs: ordinary text gets exactly the unbounded ids', () => {
  // Every 8th Brown + SOTU document: its longest run is far below MAX_RUN, so the
  // bounded encoder must make a single call and return tiktoken's own ids.
  const docs = loadCorpus().filter((_, i) => i % 8 === 0)
  for (const name of TOKENIZER_NAMES) {
    it(name, () => {
      const raw = get_encoding(name)
      const tok = getTokenizer(name, 'tiktoken')
      let tokens = 0
      for (const d of docs) {
        expect(longestRun(d.text)).toBeLessThan(MAX_RUN)
        expect(runCuts(d.text)).toEqual([])
        const want = raw.encode_ordinary(d.text)
        tokens += want.length
        expect(Array.from(tok.encode(d.text))).toEqual(Array.from(want))
      }
      raw.free()
      expect(tokens).toBeGreaterThan(200_000)
    })
  }
})
