import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { detect, getTokenizer } from '@tracemark/detector'
import { generateKey } from '@tracemark/watermark'
import { loadCorpus } from '../packages/lab/src/corpus/corpus.js'
import { fixturePath, TOKENIZER_FIXTURES } from '../packages/lab/src/tokenizer-eval/fixtures.js'
import { generateIds, roundTrip, vocabularyMask } from '../packages/lab/src/tokenizer-eval/roundtrip.js'
import { testSecret } from './helpers.js'

// A model samples ids; the investigator only has the text, decodes nothing and
// re-tokenizes it. For every fixture tokenizer, watermarked generations from the
// synthetic model over that tokenizer's vocabulary are detected from their text.
// The model may emit any non-special id (random pieces: the least canonical text
// there is, so the most re-tokenization loss). docs/tokenizers.md measures 20-40
// tokens to reach p < 1e-6 at the synthetic model's entropy (2.5-4.5 nats);
// 200 tokens leave a factor of 5. Seeds are fixed, so the outcome is deterministic.
describe('detection from text through each tokenizer.json', () => {
  const human = loadCorpus().find((d) => d.source === 'brown')!.text.slice(0, 3000)
  for (const f of TOKENIZER_FIXTURES) {
    it(`${f.name}: ${f.kind}`, () => {
      const path = fixturePath(f)
      const tok = getTokenizer({ path, name: f.name })
      const json = JSON.parse(readFileSync(path, 'utf8'))
      const specials = new Set<number>(json.added_tokens.filter((a: { special?: boolean }) => a.special).map((a: { id: number }) => a.id))
      const key = generateKey({ scheme: 'gumbel', tokenizer: f.name, tokenizerSha256: tok.sha256, vocabSize: tok.vocabSize }, { secret: testSecret(3) })
      const ids = generateIds(key, vocabularyMask(tok, tok.vocabSize, 'any', specials), 200, 11)
      const text = tok.decode(ids)
      const r = detect(text, key, { tokenizer: path })
      expect(r.pValue).toBeLessThan(1e-6)
      // Text of whole-word pieces (each encodes back to itself, and none merges across
      // the space that starts the next) must come back as exactly the sampled ids.
      const words = generateIds(key, vocabularyMask(tok, tok.vocabSize, 'words', specials), 100, 12)
      const rt = roundTrip(key, tok, words, 100)
      expect(rt.generated).toBeGreaterThan(90)
      expect(rt.survived).toBe(rt.generated)
      expect(Array.from(tok.encode(tok.decode(words)))).toEqual(Array.from(words))
      // Human text under the same key: a null draw, p < 1e-6 with probability 1e-6.
      expect(detect(human, key, { tokenizer: path }).pValue).toBeGreaterThan(1e-6)
    })
  }
})
