/**
 * The human text the evaluation uses, all from the HELD-OUT split (the reference model
 * never saw it): prompts, human text for the copy-paste attack, and the pieces the
 * false-positive test scores.
 */
import { getTokenizer } from '@tracemark/detector'
import { splitCorpus, tokenizeDocuments, type Document } from '../corpus/corpus.js'

export interface HeldOut {
  readonly docs: readonly Document[]
  readonly tokens: readonly Uint32Array[]
}

let memo: HeldOut | undefined

/** The held-out documents and their cl100k_base tokens (tokenized once per process). */
export function heldOut(): HeldOut {
  if (!memo) {
    const docs = splitCorpus().heldOut
    memo = { docs, tokens: tokenizeDocuments(docs, getTokenizer('cl100k_base')) }
  }
  return memo
}

/**
 * Prompt of document `i`: the first `length` tokens of held-out document i (wrapping to
 * a later passage of the same documents if more prompts than documents are wanted).
 */
export function promptFor(h: HeldOut, i: number, length: number): Uint32Array {
  const n = h.tokens.length
  const t = h.tokens[i % n]
  const offset = Math.min(Math.floor(i / n) * 500, Math.max(0, t.length - length))
  return t.slice(offset, offset + length)
}

/**
 * Human text for the copy-paste attack of document `i`: whole held-out documents other
 * than the prompt's own, concatenated until `minChars` (enough words for a 90 % human
 * share around 400 generated tokens).
 */
export function humanTextFor(h: HeldOut, i: number, minChars = 30_000): string {
  const n = h.docs.length
  const own = i % n
  const parts: string[] = []
  let len = 0
  for (let k = 1; k < n && len < minChars; k++) {
    const j = (own + k * 7) % n // a stride spreads the picks over both corpora
    if (j === own) continue
    parts.push(h.docs[j].text)
    len += h.docs[j].text.length + 2
  }
  return parts.join('\n\n')
}

/**
 * Human pieces for the false-positive test: every held-out document cut into
 * consecutive `pieceTokens`-token pieces (a shorter tail is dropped). When `maxTokens`
 * asks for fewer, evenly spaced pieces are kept so that both corpora stay represented.
 * Returned as one array of `count * pieceTokens` ids.
 */
export function fprPieces(h: HeldOut, pieceTokens: number, maxTokens = Infinity): { ids: Uint32Array; count: number } {
  const starts: [doc: number, at: number][] = []
  h.tokens.forEach((t, d) => {
    for (let at = 0; at + pieceTokens <= t.length; at += pieceTokens) starts.push([d, at])
  })
  const want = Math.min(starts.length, Math.floor(maxTokens / pieceTokens))
  const ids = new Uint32Array(want * pieceTokens)
  for (let k = 0; k < want; k++) {
    const [d, at] = starts[Math.floor((k * starts.length) / want)]
    ids.set(h.tokens[d].subarray(at, at + pieceTokens), k * pieceTokens)
  }
  return { ids, count: want }
}
