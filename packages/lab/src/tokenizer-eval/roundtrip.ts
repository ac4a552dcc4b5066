import { detect, normalizeText, type Tokenizer } from '@tracemark/detector'
import { createWatermarker, scoreTokens, seededRandom, type WatermarkKey } from '@tracemark/watermark'
import { createSyntheticModel } from '../synthetic.js'

/**
 * Which ids the synthetic model may emit. `any`: every id the tokenizer can decode
 * except special tokens: a soup of random pieces, far less canonical than any
 * trained model's output (the worst case). `words`: whole-word pieces (a space, or
 * SentencePiece's "▁", then 2-12 lowercase letters) that encode back to themselves,
 * as most of a real model's prose is.
 */
export type RoundTripVocabulary = 'any' | 'words'

/** A logits mask (0 or -Infinity) over the key's vocabulary for `mode`. */
export function vocabularyMask(tok: Tokenizer, vocabSize: number, mode: RoundTripVocabulary, specials: ReadonlySet<number>): Float32Array {
  const mask = new Float32Array(vocabSize).fill(-Infinity)
  for (let id = 0; id < tok.vocabSize; id++) {
    if (specials.has(id)) continue
    if (mode === 'any') {
      mask[id] = 0
      continue
    }
    // Decoded inside a sentence ("a" + piece) so SentencePiece decoders keep the leading space.
    const s = tok.decode([tok.encode('a')[0], id]).slice(1)
    if (!/^ [a-z]{2,12}$/.test(s)) continue
    const back = tok.encode(`a${s}`)
    if (back.length === 2 && back[1] === id) mask[id] = 0
  }
  return mask
}

/** `tokens` ids from the synthetic model over the key's vocabulary, watermarked with `key` (for `account` when it has a fingerprint). */
export function generateIds(key: WatermarkKey, mask: Float32Array, tokens: number, seed: number, account?: number): Uint32Array {
  const model = createSyntheticModel({ vocabSize: key.spec.vocabSize, seed })
  const session = createWatermarker(key).session(account === undefined ? undefined : { payload: account })
  const rnd = seededRandom(seed)
  const ctx: number[] = []
  const logits = new Float32Array(key.spec.vocabSize)
  for (let i = 0; i < tokens; i++) {
    model.logits(ctx, logits)
    for (let j = 0; j < logits.length; j++) logits[j] += mask[j]
    ctx.push(session.sample(logits, { random: rnd }))
  }
  return Uint32Array.from(ctx)
}

/** What survives decode then encode, for one generation. */
export interface RoundTrip {
  /** Distinct scored tuples of the generated ids. */
  generated: number
  /** Of those, how many the re-encoded text also has (same context, same token). */
  survived: number
  /** Fewest generated tokens whose decoded text is detected at p < 1e-6 (steps of `step`), or null if none up to the length. */
  tokensToDetect: number | null
  /** The same, scoring the sampled ids themselves (no round trip): the baseline. */
  tokensToDetectIds: number | null
}

/**
 * Measures one generation as a detector sees it (default normalization on): tuple
 * survival through decode, normalize, encode, and tokens needed to detect from text.
 */
export function roundTrip(key: WatermarkKey, tok: Tokenizer, ids: Uint32Array, step = 10): RoundTrip {
  const wm = createWatermarker(key)
  const before = new Set(scoreTokens(wm, ids).tuple)
  const after = new Set(scoreTokens(wm, tok.encode(normalizeText(tok.decode(ids)))).tuple)
  let survived = 0
  for (const t of before) if (after.has(t)) survived++
  const first = (input: (n: number) => string | Uint32Array): number | null => {
    for (let n = step; n <= ids.length; n += step) if (detect(input(n), key, { tokenizer: tok }).pValue < 1e-6) return n
    return null
  }
  return {
    generated: before.size,
    survived,
    tokensToDetect: first((n) => tok.decode(ids.subarray(0, n))),
    tokensToDetectIds: first((n) => ids.subarray(0, n)),
  }
}
