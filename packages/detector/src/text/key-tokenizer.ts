import type { WatermarkSpec } from '@tracemark/watermark'
import { getTokenizer, TOKENIZER_NAMES, VOCAB_SIZE, type Tokenizer, type TokenizerBackend, type TokenizerName, type TokenizerSource } from './tokenizer.js'

/**
 * What a caller may pass as the tokenizer of a key: a built-in name, a path to a
 * tokenizer.json, a parsed tokenizer.json ({@link TokenizerSource}), or a
 * {@link Tokenizer} already made.
 */
export type TokenizerChoice = TokenizerName | string | TokenizerSource | Tokenizer

const isBuiltIn = (s: string): s is TokenizerName => TOKENIZER_NAMES.includes(s as TokenizerName)

function describe(tok: Tokenizer): string {
  return tok.sha256 ? `sha256 ${tok.sha256}` : `the built-in ${tok.name}`
}

function instantiate(choice: TokenizerChoice, spec: WatermarkSpec, backend?: TokenizerBackend): Tokenizer {
  if (typeof choice === 'string') return isBuiltIn(choice) ? getTokenizer(choice, backend) : getTokenizer({ path: choice, name: spec.tokenizer })
  if ('encode' in choice && typeof choice.encode === 'function') return choice as Tokenizer
  return getTokenizer({ name: spec.tokenizer, ...(choice as TokenizerSource) })
}

/**
 * The tokenizer to score text for a key with, checked against the key's spec.
 * Keys of a tokenizer.json commit to its canonical SHA-256: any other file (or a
 * built-in encoding) is refused with both hashes named, so nothing is ever scored
 * with the wrong vocabulary. Without `choice`, the key's built-in tokenizer is
 * used; a tokenizer.json key then needs the file, and the error says so.
 */
export function tokenizerForKey(spec: WatermarkSpec, choice?: TokenizerChoice, backend?: TokenizerBackend): Tokenizer {
  if (choice === undefined) {
    if (spec.tokenizerSha256) {
      throw new Error(
        `the key was made for the tokenizer.json "${spec.tokenizer}" (sha256 ${spec.tokenizerSha256}); pass that file (--tokenizer PATH)`,
      )
    }
    if (!isBuiltIn(spec.tokenizer)) {
      throw new Error(`the key was made for tokenizer "${spec.tokenizer}", which the detector cannot load; pass token ids instead`)
    }
    choice = spec.tokenizer
  }
  const tok = instantiate(choice, spec, backend)
  if (spec.tokenizerSha256 ? tok.sha256 !== spec.tokenizerSha256 : tok.sha256 !== undefined) {
    const want = spec.tokenizerSha256 ? `sha256 ${spec.tokenizerSha256}` : `the built-in ${spec.tokenizer}`
    throw new Error(`tokenizer mismatch: the key was made for ${want} but the tokenizer given has ${describe(tok)}; refusing to score with another vocabulary`)
  }
  checkVocabulary(tok, spec)
  return tok
}

function checkVocabulary(tok: Pick<Tokenizer, 'name' | 'vocabSize' | 'sha256'>, spec: WatermarkSpec): void {
  if (tok.sha256 ? tok.vocabSize > spec.vocabSize : tok.vocabSize !== spec.vocabSize) {
    throw new Error(`tokenizer ${tok.name} has ${tok.vocabSize} ids but the key's vocabulary has ${spec.vocabSize}`)
  }
}

/**
 * The checks of {@link tokenizerForKeyFrom}, without loading a built-in
 * encoding: a scan's main thread only checks (its workers load the tokenizer),
 * and a loaded encoding costs it ~20 MiB.
 */
export function checkTokenizerForKey(spec: WatermarkSpec, files: readonly string[] = []): void {
  if (!spec.tokenizerSha256 && isBuiltIn(spec.tokenizer)) checkVocabulary({ name: spec.tokenizer, vocabSize: VOCAB_SIZE[spec.tokenizer] }, spec)
  else tokenizerForKeyFrom(spec, files)
}

/**
 * {@link tokenizerForKey} for one of several keys given a list of tokenizer.json
 * paths (a scan's repeated `--tokenizer`): a key of a tokenizer.json takes the file
 * whose hash it names; a single file that does not match is refused by name.
 */
export function tokenizerForKeyFrom(spec: WatermarkSpec, files: readonly string[] = [], backend?: TokenizerBackend): Tokenizer {
  if (!spec.tokenizerSha256 || files.length <= 1) return tokenizerForKey(spec, spec.tokenizerSha256 ? files[0] : undefined, backend)
  const loaded = files.map((path) => getTokenizer({ path, name: spec.tokenizer }))
  const hit = loaded.find((t) => t.sha256 === spec.tokenizerSha256)
  if (!hit) {
    throw new Error(
      `tokenizer mismatch: the key was made for sha256 ${spec.tokenizerSha256} but the tokenizers given have ${loaded.map((t, i) => `${files[i]}: sha256 ${t.sha256}`).join(', ')}`,
    )
  }
  return tokenizerForKey(spec, hit, backend)
}
