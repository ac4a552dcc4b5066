/**
 * The byte-level BPE vocabulary of the tiny test models (GPT-2 layout: 256 byte
 * tokens, merges, one end-of-text token), shared by the ONNX and the GGUF builder.
 *
 * Besides the bytes, every token is a whole word: a space and one to three letters,
 * built by a chain of merges (`Ġ a`, `Ġa b`, `Ġab c`). A sequence of such tokens
 * decodes to text that re-encodes to the same ids (the space-led pre-tokenizer
 * splits at the same places and the chain rebuilds each word), so detection from
 * text sees the sampled ids; only the 256 byte tokens can change on the round trip.
 */

/** 20 letters: 20 + 20² + 20³ = 8,420 word tokens, 8,677 ids in all. */
export const TINY_VOCAB_SIZE = 8_677
/** Four-letter words can pad the vocabulary to a real model's size (up to 168,677 ids). */
const MAX_VOCAB_SIZE = TINY_VOCAB_SIZE + 20 ** 4
const LETTERS = 'abcdefghiklmnoprstuw'

export interface TinyVocab {
  /** Token strings in GPT-2's byte-to-unicode form, indexed by id. */
  tokens: string[]
  /** Merges in rank order, `left right`. */
  merges: string[]
  eosId: number
  eosText: string
}

/** GPT-2's reversible map from bytes to printable unicode characters. */
export function byteToUnicode(): string[] {
  const keep: number[] = []
  for (let b = 33; b <= 126; b++) keep.push(b)
  for (let b = 161; b <= 172; b++) keep.push(b)
  for (let b = 174; b <= 255; b++) keep.push(b)
  const map: string[] = new Array(256)
  let extra = 0
  for (let b = 0; b < 256; b++) {
    map[b] = keep.includes(b) ? String.fromCharCode(b) : String.fromCharCode(256 + extra++)
  }
  return map
}

/**
 * The vocabulary, of `size` ids: the default is the tiny one; a larger size (a real
 * model's logits length, for the benchmarks) adds four-letter words, merged the same way.
 */
export function tinyVocab(size = TINY_VOCAB_SIZE): TinyVocab {
  if (!Number.isInteger(size) || size < TINY_VOCAB_SIZE || size > MAX_VOCAB_SIZE) {
    throw new RangeError(`vocabulary size must be an integer in [${TINY_VOCAB_SIZE}, ${MAX_VOCAB_SIZE}], got ${size}`)
  }
  const bytes = byteToUnicode()
  const space = bytes[32]
  const tokens = [...bytes]
  const merges: string[] = []
  let words = [space]
  // Words of one letter, then two, ... until the size is reached (end-of-text comes last).
  while (tokens.length < size - 1) {
    const next: string[] = []
    for (const w of words) {
      for (const c of LETTERS) {
        if (tokens.length + next.length === size - 1) break
        merges.push(`${w} ${c}`)
        next.push(w + c)
      }
    }
    for (const t of next) tokens.push(t)
    words = next
  }
  const eosText = '<|endoftext|>'
  tokens.push(eosText)
  return { tokens, merges, eosId: tokens.length - 1, eosText }
}
