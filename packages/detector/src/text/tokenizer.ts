import { get_encoding, type Tiktoken, type TiktokenEncoding } from 'tiktoken'
import * as gptCl100k from 'gpt-tokenizer/encoding/cl100k_base'
import * as gptO200k from 'gpt-tokenizer/encoding/o200k_base'
import { boundRuns } from './bounded-runs.js'

/** Names of the tokenizers the detector ships with. */
export type TokenizerName = 'cl100k_base' | 'o200k_base'

/**
 * Implementations of the same encodings. `tiktoken` (OpenAI's Rust code as WASM) is the
 * reference; `gpt-tokenizer` (pure JS) gives identical ids on our corpora (3.35M tokens
 * of Brown + SOTU, both encodings, checked by the test suite) and runs ~1.7x faster here.
 */
export type TokenizerBackend = 'tiktoken' | 'gpt-tokenizer'

/** A tokenizer as the detector uses it: text in, token ids out, and back. */
export interface Tokenizer {
  readonly name: TokenizerName
  readonly backend: TokenizerBackend
  /** Size of the id space, special tokens included: the length of the model's logits. */
  readonly vocabSize: number
  encode(text: string): Uint32Array
  decode(ids: ArrayLike<number>): string
}

export const TOKENIZER_NAMES: readonly TokenizerName[] = ['cl100k_base', 'o200k_base']
export const TOKENIZER_BACKENDS: readonly TokenizerBackend[] = ['tiktoken', 'gpt-tokenizer']

// Highest id + 1, special tokens included (tiktoken's JS binding does not expose n_vocab):
// cl100k_base ends at <|endofprompt|> = 100276, o200k_base at <|endofprompt|> = 200018.
const VOCAB_SIZE: Record<TokenizerName, number> = { cl100k_base: 100_277, o200k_base: 200_019 }

const cache = new Map<string, Tokenizer>()
const utf8 = new TextDecoder('utf-8')
// Special-token strings in suspect text are ordinary text, never control tokens.
const NO_SPECIALS = { disallowedSpecial: new Set<string>() }

function tiktokenBackend(name: TokenizerName): Tokenizer {
  const enc: Tiktoken = get_encoding(name as TiktokenEncoding)
  return {
    name,
    backend: 'tiktoken',
    vocabSize: VOCAB_SIZE[name],
    encode: (text) => enc.encode_ordinary(text),
    decode: (ids) => utf8.decode(enc.decode(ids instanceof Uint32Array ? ids : Uint32Array.from(ids))),
  }
}

function gptTokenizerBackend(name: TokenizerName): Tokenizer {
  const enc = name === 'cl100k_base' ? gptCl100k : gptO200k
  return {
    name,
    backend: 'gpt-tokenizer',
    vocabSize: VOCAB_SIZE[name],
    encode: (text) => Uint32Array.from(enc.encode(text, NO_SPECIALS)),
    decode: (ids) => enc.decode(Array.from(ids)),
  }
}

/**
 * The encoder for `name`, created once per process and backend: building the BPE
 * ranks takes ~100 ms, so every caller shares one instance. Its `encode` takes time
 * linear in the text's length whatever the text: runs of more than 256 characters
 * without (or of only) whitespace are encoded in 256-character pieces (see
 * `bounded-runs.ts`); ordinary text gets exactly the ids of the unbounded encoder.
 */
export function getTokenizer(name: TokenizerName = 'cl100k_base', backend: TokenizerBackend = 'tiktoken'): Tokenizer {
  const id = `${name}/${backend}`
  const hit = cache.get(id)
  if (hit) return hit
  if (!TOKENIZER_NAMES.includes(name)) {
    throw new Error(`unknown tokenizer "${String(name)}" (expected one of ${TOKENIZER_NAMES.join(', ')})`)
  }
  if (!TOKENIZER_BACKENDS.includes(backend)) {
    throw new Error(`unknown tokenizer backend "${String(backend)}" (expected one of ${TOKENIZER_BACKENDS.join(', ')})`)
  }
  const tok = boundRuns(backend === 'tiktoken' ? tiktokenBackend(name) : gptTokenizerBackend(name))
  cache.set(id, tok)
  return tok
}
