import { getTokenizer } from '@tracemark/detector'
import {
  createWatermarker,
  sampleLogits,
  seededRandom,
  type SampleOptions,
  type Watermarker,
  type WatermarkKey,
} from '@tracemark/watermark'
import { logits as modelLogits, type NgramModel } from './model/ngram.js'

/** First id of cl100k_base's special tokens: <|endoftext|> ends a text, the others are never emitted. */
const END_OF_TEXT = 100_257

export interface GenerateOptions {
  /** Watermark with this key; omit (or pass `watermark: false`) for plain sampling. */
  key?: WatermarkKey | Watermarker
  watermark?: boolean
  /** Prompt text, or prompt token ids. */
  prompt: string | ArrayLike<number>
  maxTokens: number
  /** Seed of the sampler's random source: same seed, same output. */
  seed?: number
  temperature?: number
  topK?: number
  topP?: number
  /** Account number to embed when the key carries a fingerprint. */
  payload?: number
  /** Stop at the model's end-of-text token (default true). */
  stopAtEnd?: boolean
}

export interface Generation {
  /** Continuation token ids (prompt excluded, end-of-text excluded). */
  ids: Uint32Array
  text: string
  /** Tokens whose window was watermarked (repeats and prompt-only windows are not). */
  watermarked: number
}

/**
 * Generates a continuation with the reference model, through a tracemark
 * session exactly as a serving stack would call it: logits in, token out.
 */
export function generate(model: NgramModel, o: GenerateOptions): Generation {
  const tok = getTokenizer('cl100k_base')
  const prompt = typeof o.prompt === 'string' ? Array.from(tok.encode(o.prompt)) : Array.from(o.prompt)
  const random = seededRandom(o.seed ?? 0)
  const sample: SampleOptions = { temperature: o.temperature, topK: o.topK, topP: o.topP, random }
  const wm = o.watermark === false || !o.key ? null : 'session' in o.key ? o.key : createWatermarker(o.key)
  const session = wm?.session({ prompt, payload: o.payload })
  const context = prompt.slice()
  const out: number[] = []
  const logits = new Float32Array(model.vocabSize)
  // Special tokens are masked as a host's tokenizer config would; end-of-text only
  // when the caller wants a fixed length.
  const firstMasked = o.stopAtEnd === false ? END_OF_TEXT : END_OF_TEXT + 1
  for (let i = 0; i < o.maxTokens; i++) {
    modelLogits(model, context, logits)
    for (let t = firstMasked; t < logits.length; t++) logits[t] = -Infinity
    const id = session ? session.sample(logits, sample) : sampleLogits(logits, sample)
    if (id === END_OF_TEXT) break
    context.push(id)
    out.push(id)
  }
  const ids = Uint32Array.from(out)
  return { ids, text: tok.decode(ids), watermarked: session?.watermarked ?? 0 }
}
