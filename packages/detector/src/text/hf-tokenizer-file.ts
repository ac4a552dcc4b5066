import { createHash } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { canonicalJson } from '@tracemark/watermark'

/**
 * Largest `tokenizer.json` accepted. The biggest common ones (Gemma 3: 33 MB,
 * 262k pieces) fit with room; a file far beyond that is not a tokenizer, and
 * parsing it would only exhaust memory.
 */
export const MAX_TOKENIZER_BYTES = 256 * 1024 * 1024

/** Model types the tokenizer library implements. */
export const HF_MODEL_TYPES = ['BPE', 'Unigram', 'WordPiece'] as const

/** A parsed `tokenizer.json` with its identity. */
export interface TokenizerFile {
  /** Where it came from (a path, or a caller's label for a parsed object): used in error messages. */
  source: string
  json: HfTokenizerJson
  /** SHA-256 (hex) of the canonical content ({@link canonicalTokenizerJson}). */
  sha256: string
}

/** The fields of a Hugging Face `tokenizer.json` this code reads; the library reads the rest. */
export interface HfTokenizerJson {
  model: { type?: string; vocab?: Record<string, number> | Array<[string, number]> }
  added_tokens?: Array<{ id: number; content: string; special?: boolean }>
  [field: string]: unknown
}

/**
 * The canonical content of a tokenizer.json: the parsed JSON re-serialised with
 * object keys sorted (UTF-16 order) and no whitespace, strings and numbers as
 * `JSON.stringify` writes them, as UTF-8. Re-indenting the file, reordering its
 * keys or escaping characters differently leaves it unchanged; any change to the
 * vocabulary, merges, normalizer or pre-tokenizer changes it.
 */
export function canonicalTokenizerJson(json: unknown): string {
  return canonicalJson(json)
}

/** SHA-256 (hex) of the canonical content of a parsed tokenizer.json. */
export function tokenizerSha256(json: unknown): string {
  return createHash('sha256').update(canonicalTokenizerJson(json), 'utf8').digest('hex')
}

/** Checks the shape the loader relies on, naming `source` and the field at fault. */
export function validateTokenizerJson(json: unknown, source: string): HfTokenizerJson {
  const bad = (why: string): never => {
    throw new Error(`${source}: not a Hugging Face tokenizer.json: ${why}`)
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) bad('the top level must be an object')
  const model = (json as { model?: unknown }).model
  if (model === null || typeof model !== 'object' || Array.isArray(model)) bad('"model" must be an object')
  const m = model as { type?: unknown; vocab?: unknown }
  if (!HF_MODEL_TYPES.includes(m.type as (typeof HF_MODEL_TYPES)[number])) {
    throw new Error(`${source}: unsupported tokenizer model type ${JSON.stringify(m.type)} (supported: ${HF_MODEL_TYPES.join(', ')})`)
  }
  if (m.vocab === null || typeof m.vocab !== 'object') bad('"model.vocab" must be an object or an array')
  const added = (json as { added_tokens?: unknown }).added_tokens
  if (added !== undefined && !Array.isArray(added)) bad('"added_tokens" must be an array')
  for (const [i, a] of ((added as unknown[] | undefined) ?? []).entries()) {
    const t = a as { id?: unknown; content?: unknown }
    if (!Number.isInteger(t?.id) || (t.id as number) < 0 || typeof t.content !== 'string') {
      bad(`"added_tokens[${i}]" needs an integer "id" >= 0 and a string "content"`)
    }
  }
  return json as HfTokenizerJson
}

/**
 * Reads, size-checks, parses and validates a tokenizer.json. Every failure names
 * the file: a missing file, one over {@link MAX_TOKENIZER_BYTES}, invalid JSON, or
 * a model type the library does not implement.
 */
export function readTokenizerFile(path: string, maxBytes = MAX_TOKENIZER_BYTES): TokenizerFile {
  let size: number
  try {
    size = statSync(path).size
  } catch (e) {
    throw new Error(`cannot read tokenizer file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
  }
  if (size > maxBytes) throw new Error(`tokenizer file ${path} is ${size} bytes, over the ${maxBytes}-byte limit`)
  let json: unknown
  try {
    json = JSON.parse(readFileSync(path, 'utf8'))
  } catch (e) {
    throw new Error(`tokenizer file ${path} is not valid JSON: ${(e as Error).message}`)
  }
  return fromParsed(json, path)
}

/** A parsed tokenizer.json object, validated and hashed; `source` labels it in errors. */
export function fromParsed(json: unknown, source = 'tokenizer.json'): TokenizerFile {
  const valid = validateTokenizerJson(json, source)
  return { source, json: valid, sha256: tokenizerSha256(valid) }
}

/**
 * Number of ids the tokenizer can produce or decode: highest id + 1 over the model
 * vocabulary and the added tokens. A model's logits can be longer (Qwen pads to
 * 151,936); that is the key's `vocabSize`, never smaller than this.
 */
export function tokenizerIdCount(json: HfTokenizerJson): number {
  let max = -1
  const vocab = json.model.vocab ?? {}
  if (Array.isArray(vocab)) max = vocab.length - 1
  else for (const k in vocab) if (vocab[k] > max) max = vocab[k]
  for (const a of json.added_tokens ?? []) if (a.id > max) max = a.id
  return max + 1
}
