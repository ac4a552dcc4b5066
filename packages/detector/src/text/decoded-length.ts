import type { Tokenizer } from './tokenizer.js'

/**
 * Per built-in tokenizer, each id's decoded length in UTF-16 units plus one (0: not
 * looked up yet; -1: the id's bytes are not valid UTF-8 on their own).
 */
const lengths = new WeakMap<Tokenizer, Int16Array>()

/**
 * `tok.decode(ids).length`, without decoding when it can: a scan gives every
 * document's span as character offsets, and decoding each document's token prefix
 * cost a tenth of the scan's scoring time.
 *
 * The built-in encodings are byte-level BPE with no decoder transforms: a text
 * decodes to the UTF-8 decoding of its ids' bytes, concatenated. When each id's
 * bytes are valid UTF-8 by themselves, the decoding of the concatenation is the
 * concatenation of the decodings, so the lengths add up. An id that holds part of a
 * character (its own decoding has U+FFFD) sends the whole call to `decode`, as
 * does any other tokenizer (a tokenizer.json's decoder may strip or add spaces).
 */
export function decodedLength(tok: Tokenizer, ids: Uint32Array): number {
  if (tok.backend === 'hf-tokenizers') return tok.decode(ids).length
  let table = lengths.get(tok)
  if (!table) lengths.set(tok, (table = new Int16Array(tok.vocabSize)))
  let n = 0
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]
    let l = id < table.length ? table[id] : -1
    if (l === 0) {
      const s = tok.decode([id])
      table[id] = l = s.includes('\ufffd') || s.length >= 0x7fff ? -1 : s.length + 1
    }
    if (l < 0) return tok.decode(ids).length
    n += l - 1
  }
  return n
}
