import { get_encoding, type Tiktoken, type TiktokenEncoding } from 'tiktoken'

/** Names of the tokenizers the detector ships with. */
export type TokenizerName = 'cl100k_base' | 'o200k_base'

/** A tokenizer as the detector uses it: text in, token ids out, and back. */
export interface Tokenizer {
  readonly name: TokenizerName
  /** Size of the id space, special tokens included: the length of the model's logits. */
  readonly vocabSize: number
  encode(text: string): Uint32Array
  decode(ids: ArrayLike<number>): string
}

export const TOKENIZER_NAMES: readonly TokenizerName[] = ['cl100k_base', 'o200k_base']

// Highest id + 1, special tokens included (tiktoken's JS binding does not expose n_vocab):
// cl100k_base ends at <|endofprompt|> = 100276, o200k_base at <|endofprompt|> = 200018.
const VOCAB_SIZE: Record<TokenizerName, number> = { cl100k_base: 100_277, o200k_base: 200_019 }

const cache = new Map<TokenizerName, Tokenizer>()
const utf8 = new TextDecoder('utf-8')

/**
 * The tiktoken (WASM) encoder for `name`, created once per process: building the
 * BPE ranks takes ~100 ms, so every caller shares one instance.
 */
export function getTokenizer(name: TokenizerName = 'cl100k_base'): Tokenizer {
  const hit = cache.get(name)
  if (hit) return hit
  if (!TOKENIZER_NAMES.includes(name)) {
    throw new Error(`unknown tokenizer "${String(name)}" (expected one of ${TOKENIZER_NAMES.join(', ')})`)
  }
  const enc: Tiktoken = get_encoding(name as TiktokenEncoding)
  const tok: Tokenizer = {
    name,
    vocabSize: VOCAB_SIZE[name],
    // Special-token strings in suspect text are ordinary text, never control tokens.
    encode: (text) => enc.encode_ordinary(text),
    decode: (ids) => utf8.decode(enc.decode(ids instanceof Uint32Array ? ids : Uint32Array.from(ids))),
  }
  cache.set(name, tok)
  return tok
}
