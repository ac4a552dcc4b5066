import { createRequire } from 'node:module'
import type { Tiktoken, TiktokenEncoding } from 'tiktoken'

// Loaded on first use: each encoding's tables take tens of MiB, and every scan
// worker thread would otherwise hold both libraries and both encodings.
// Not the bare `require`: the ESM bundle replaces it with a stub that throws. The
// CommonJS build has __filename and no import.meta.url; the ESM build the reverse.
const load: NodeRequire = createRequire(typeof __filename === 'string' ? __filename : import.meta.url)
import { statSync } from 'node:fs'
import { resolve } from 'node:path'
import { hfTokenizer } from './hf-tokenizer.js'
import { fromParsed, readTokenizerFile } from './hf-tokenizer-file.js'
import { boundRuns } from './bounded-runs.js'
import { createByteBpe } from './byte-bpe.js'
import { DOCUMENT_SCRATCH, fitScratch } from '../scratch.js'

/** Names of the tokenizers the detector ships with. */
export type TokenizerName = 'cl100k_base' | 'o200k_base'

/**
 * Implementations of the same encodings. `tiktoken` (OpenAI's Rust code as WASM) is the
 * reference; `gpt-tokenizer` (the default: that library's split pattern and vocabulary,
 * merged by the detector's own byte-level BPE, all JS) is faster and gives identical ids:
 * on Brown + SOTU (3.35M tokens) and on a stress corpus (every Unicode plane, control
 * characters, digit and whitespace runs, mixed scripts, special-token strings; see
 * test/tokenizer-stress.test.ts). Its one known difference is the regex class `\s`:
 * JavaScript's includes U+FEFF and lacks U+0085, Rust's is the reverse, so a text
 * holding either character is encoded by tiktoken instead.
 */
export type TokenizerBackend = 'tiktoken' | 'gpt-tokenizer'

/**
 * A Hugging Face `tokenizer.json`: a path to the file, or the parsed object (with a
 * `name` for the key's spec and a `source` label for error messages).
 */
export type TokenizerSource = { path: string; name?: string } | { json: unknown; name?: string; source?: string }

/** A tokenizer as the detector uses it: text in, token ids out, and back. */
export interface Tokenizer {
  /** A built-in encoding's name, or the name given to a tokenizer.json. */
  readonly name: string
  /** Implementation: a built-in backend, or `hf-tokenizers` for a tokenizer.json. */
  readonly backend: TokenizerBackend | 'hf-tokenizers'
  /**
   * Size of the id space, special tokens included. Built in: the length of the
   * model's logits. A tokenizer.json: its highest id + 1, which a model's logits
   * may exceed (the key's `vocabSize` is then the larger number).
   */
  readonly vocabSize: number
  /** A tokenizer.json's SHA-256 of canonical content (as in a key's `tokenizerSha256`); absent when built in. */
  readonly sha256?: string
  encode(text: string): Uint32Array
  decode(ids: ArrayLike<number>): string
}

export const TOKENIZER_NAMES: readonly TokenizerName[] = ['cl100k_base', 'o200k_base']
export const TOKENIZER_BACKENDS: readonly TokenizerBackend[] = ['tiktoken', 'gpt-tokenizer']
/** The fastest id-exact backend (see TokenizerBackend). */
export const DEFAULT_TOKENIZER_BACKEND: TokenizerBackend = 'gpt-tokenizer'

// Highest id + 1, special tokens included (tiktoken's JS binding does not expose n_vocab):
// cl100k_base ends at <|endofprompt|> = 100276, o200k_base at <|endofprompt|> = 200018.
/** Ids of each built-in encoding (known without loading it). */
export const VOCAB_SIZE: Readonly<Record<TokenizerName, number>> = { cl100k_base: 100_277, o200k_base: 200_019 }

const cache = new Map<string, Tokenizer>()
// ignoreBOM keeps a leading U+FEFF: it is text, and decoding must not depend on where a call starts.
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true })

function tiktokenBackend(name: TokenizerName): Tokenizer {
  const { get_encoding } = load('tiktoken') as typeof import('tiktoken')
  const enc: Tiktoken = get_encoding(name as TiktokenEncoding)
  return {
    name,
    backend: 'tiktoken',
    vocabSize: VOCAB_SIZE[name],
    encode: (text) => enc.encode_ordinary(text),
    decode: (ids) => utf8.decode(enc.decode(ids instanceof Uint32Array ? ids : Uint32Array.from(ids))),
  }
}

/** Where JavaScript's `\s` and the Rust regex's differ (see TokenizerBackend). */
const WHITESPACE_MISMATCH = /[\u0085\ufeff]/

/** The built-in encodings' split patterns, as gpt-tokenizer ships them. */
const SPLIT_PATTERNS: Record<TokenizerName, string> = { cl100k_base: 'CL100K_TOKEN_SPLIT_REGEX', o200k_base: 'O200K_TOKEN_SPLIT_REGEX' }

/**
 * gpt-tokenizer's vocabulary (rank -> text, or bytes where a token is not whole
 * UTF-8) and split pattern, the only parts of that library the backend uses.
 * The vocabulary module is dropped from the require cache once read: the table
 * built from it holds what encoding and decoding need in typed arrays (3.4 MB
 * for cl100k_base, merge cache included), where the library kept its strings and
 * a Map on the heap (heap after loading: 8.3 MiB before, 4.4 now). A later
 * require of the module simply reads it again.
 */
function gptTokenizerData(name: TokenizerName): { vocabulary: Array<string | number[] | undefined>; split: RegExp } {
  const constants = load('gpt-tokenizer/encodingParams/constants') as Record<string, unknown>
  const pattern = constants[SPLIT_PATTERNS[name]]
  const path = load.resolve(`gpt-tokenizer/bpeRanks/${name}`)
  const vocabulary = (load(path) as { default?: unknown }).default
  delete load.cache[path]
  if (!(pattern instanceof RegExp) || !Array.isArray(vocabulary)) throw new Error(`gpt-tokenizer's ${name} data has changed shape: use --tokenizer-backend tiktoken`)
  // A sticky copy of the pattern: tested at each position, no match objects.
  return { vocabulary, split: new RegExp(pattern.source, `${pattern.flags.replace(/[gy]/g, '')}y`) }
}

let encoded = new Uint32Array(1024)
let decodedBytes = new Uint8Array(1024)

/**
 * The default backend: gpt-tokenizer's split pattern and vocabulary, merged by
 * the detector's byte-level BPE (byte-bpe.ts). Against the library's own encode
 * (tokenizing 30 MB of the bench corpus, same ids):
 * - pieces: its `matchAll` loop allocated ~900 MB per 30 MB of text (a match
 *   array with its index, input and groups, and iterators, per piece); here a
 *   sticky copy of the pattern is tested at each position. matchAll, when no piece
 *   starts at a position, searches further on; the built-in patterns match at
 *   every position, and if one ever did not (or matched empty) the text goes to
 *   tiktoken, the reference;
 * - ids: its string-keyed Map was 40 % of tokenizing and its merge turned every
 *   pair back into a string; the table is read in place.
 * Decoding is each call on its own, as tiktoken does: the UTF-8 decoding of the
 * ids' bytes, an incomplete character as U+FFFD. (The library's own decode keeps
 * a cut character's bytes in a module-wide streaming decoder and puts them in
 * front of the next call's text.) Special tokens, never produced by encode,
 * decode through tiktoken.
 */
function gptTokenizerBackend(name: TokenizerName): Tokenizer {
  const { vocabulary, split } = gptTokenizerData(name)
  const bpe = createByteBpe(vocabulary)
  let reference: Tokenizer | undefined
  const tiktoken = () => (reference ??= getTokenizer(name, 'tiktoken'))
  const pieces = (text: string): Uint32Array | null => {
    // Kept between calls up to the cap, as the scorer's buffers are.
    encoded = fitScratch(encoded, Math.min(3 * text.length, DOCUMENT_SCRATCH), DOCUMENT_SCRATCH, (m) => new Uint32Array(m))
    let n = 0
    for (let at = 0; at < text.length; ) {
      split.lastIndex = at
      if (!split.test(text) || split.lastIndex === at) return null
      const end = split.lastIndex
      // Byte-level BPE: at most one id per UTF-8 byte, at most 3 bytes per UTF-16 unit.
      if (n + 3 * (end - at) > encoded.length) {
        const grown = new Uint32Array(Math.max(n + 3 * (end - at), 2 * encoded.length))
        grown.set(encoded.subarray(0, n))
        encoded = grown
      }
      n = bpe.encodePiece(text, at, end, encoded, n)
      at = end
    }
    return encoded.slice(0, n)
  }
  const vocabSize = VOCAB_SIZE[name]
  return {
    name,
    backend: 'gpt-tokenizer',
    vocabSize,
    encode: (text) => (WHITESPACE_MISMATCH.test(text) ? tiktoken().encode(text) : (pieces(text) ?? tiktoken().encode(text))),
    decode: (ids) => {
      // Sized first, then filled: a buffer grown id by id past the scratch cap was
      // copied at every id (a 12 M-token prefix ran for minutes).
      let total = 0
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i]
        if (!(Number.isInteger(id) && id >= 0 && id < vocabSize)) throw new Error(`token ${id} is not in ${name}`)
        const len = bpe.lengthOf(id)
        if (len < 0) return tiktoken().decode(ids)
        total += len
      }
      decodedBytes = fitScratch(decodedBytes, total, DOCUMENT_SCRATCH, (m) => new Uint8Array(m))
      let n = 0
      for (let i = 0; i < ids.length; i++) n = bpe.writeBytes(ids[i], decodedBytes, n)
      return utf8.decode(decodedBytes.subarray(0, n))
    },
  }
}

/** Default name of a tokenizer.json: its folder's name (`.../Llama-3-8B/tokenizer.json` is `Llama-3-8B`). */
function defaultName(path: string): string {
  const parts = resolve(path).split(/[\\/]/)
  return parts[parts.length - 2] || 'tokenizer'
}

const parsed = new WeakMap<object, Tokenizer>()

const views = new WeakMap<Tokenizer, Map<string, Tokenizer>>()

/** `tok` under another name: the same encoder, so one file is built once whatever keys call it. */
function named(tok: Tokenizer, name: string | undefined): Tokenizer {
  if (name === undefined || name === tok.name) return tok
  let byName = views.get(tok)
  if (!byName) views.set(tok, (byName = new Map()))
  let view = byName.get(name)
  // Inherit rather than spread: the bounded wrapper keeps its members on the prototype.
  if (!view) byName.set(name, (view = Object.assign(Object.create(tok) as Tokenizer, { name })))
  return view
}

function hfFromSource(src: TokenizerSource): Tokenizer {
  if ('path' in src) {
    // Keyed by file identity: a rewritten file is read again, an unchanged one is not
    // (building a 262k-piece tokenizer takes seconds).
    let st
    try {
      st = statSync(src.path)
    } catch (e) {
      throw new Error(`cannot read tokenizer file ${src.path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
    }
    const id = `file:${resolve(src.path)}:${st.size}:${st.mtimeMs}`
    let tok = cache.get(id)
    if (!tok) {
      tok = boundRuns(hfTokenizer(readTokenizerFile(src.path), defaultName(src.path)))
      cache.set(id, tok)
    }
    return named(tok, src.name)
  }
  const obj = src.json
  const key = obj !== null && typeof obj === 'object' ? obj : null
  let tok = key ? parsed.get(key) : undefined
  if (!tok) {
    tok = boundRuns(hfTokenizer(fromParsed(obj, src.source), src.name ?? 'tokenizer'))
    if (key) parsed.set(key, tok)
  }
  return named(tok, src.name)
}

/**
 * The encoder for a built-in `name`, or for a Hugging Face tokenizer.json
 * ({@link TokenizerSource}), created once per process and backend: building the
 * BPE ranks takes ~100 ms (seconds for a large tokenizer.json), so every caller
 * shares one instance. The backend applies to the built-in encodings only.
 * Every `encode` takes time linear in the text's length whatever the text: runs of
 * more than 256 characters without (or of only) whitespace are encoded in
 * 256-character pieces (see `bounded-runs.ts`); ordinary text gets exactly the ids
 * of the unbounded encoder.
 */
export function getTokenizer(name: TokenizerName | TokenizerSource = 'cl100k_base', backend: TokenizerBackend = DEFAULT_TOKENIZER_BACKEND): Tokenizer {
  if (typeof name === 'object' && name !== null) return hfFromSource(name)
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
