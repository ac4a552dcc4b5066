import { readFileSync } from 'node:fs'
import { getTokenizer, readKeyFile } from '@tracemark/detector'
import { generateIds, vocabularyMask, type RoundTripVocabulary } from './roundtrip.js'

export interface SynthTextOptions {
  key: string
  tokenizer: string
  tokens: number
  seed: number
  vocabulary: RoundTripVocabulary
  payload?: number
}

/**
 * Watermarked gibberish in a tokenizer.json's vocabulary, from the synthetic model:
 * the stand-in for a real model's answer in the README's Hugging Face example.
 */
export function synthText(o: SynthTextOptions): string {
  const key = readKeyFile(o.key)
  const tok = getTokenizer({ path: o.tokenizer, name: key.spec.tokenizer })
  if (tok.sha256 !== key.spec.tokenizerSha256) {
    throw new Error(`${o.tokenizer} (sha256 ${tok.sha256}) is not the tokenizer of key ${key.keyId} (sha256 ${key.spec.tokenizerSha256 ?? 'none: a built-in encoding'})`)
  }
  const json = JSON.parse(readFileSync(o.tokenizer, 'utf8'))
  const specials = new Set<number>((json.added_tokens ?? []).filter((a: { special?: boolean }) => a.special).map((a: { id: number }) => a.id))
  return tok.decode(generateIds(key, vocabularyMask(tok, key.spec.vocabSize, o.vocabulary, specials), o.tokens, o.seed, o.payload))
}
