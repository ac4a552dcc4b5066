import { getTokenizer } from '@tracemark/detector'
import {
  createWatermarker,
  sampleLogits,
  seededRandom,
  type SampleOptions,
  type Session,
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

export type FinishReason = 'stop' | 'length'

export interface StepOptions {
  prompt: ArrayLike<number>
  maxTokens: number
  sample: SampleOptions
  /** The request's watermark session; null samples without a watermark. */
  session: Session | null
  /** Stop at the model's end-of-text token (default true); false masks it for a fixed length. */
  stopAtEnd?: boolean
}

/**
 * The decoding loop every lab generator shares (the CLI, the evaluation, the
 * server): logits from the model, special tokens masked as a host's tokenizer
 * config would, one token from the session. Yields token ids; returns why it ended.
 */
export function* generateTokens(model: NgramModel, o: StepOptions): Generator<number, FinishReason> {
  const context = Array.from(o.prompt)
  const logits = new Float32Array(model.vocabSize)
  const firstMasked = o.stopAtEnd === false ? END_OF_TEXT : END_OF_TEXT + 1
  for (let i = 0; i < o.maxTokens; i++) {
    modelLogits(model, context, logits)
    for (let t = firstMasked; t < logits.length; t++) logits[t] = -Infinity
    const id = o.session ? o.session.sample(logits, o.sample) : sampleLogits(logits, o.sample)
    if (id === END_OF_TEXT) return 'stop'
    context.push(id)
    yield id
  }
  return 'length'
}

/**
 * Generates a continuation with the reference model, through a tracemark
 * session exactly as a serving stack would call it: logits in, token out.
 */
export function generate(model: NgramModel, o: GenerateOptions): Generation {
  const tok = getTokenizer('cl100k_base')
  const prompt = typeof o.prompt === 'string' ? Array.from(tok.encode(o.prompt)) : Array.from(o.prompt)
  const sample: SampleOptions = { temperature: o.temperature, topK: o.topK, topP: o.topP, random: seededRandom(o.seed ?? 0) }
  const wm = o.watermark === false || !o.key ? null : 'session' in o.key ? o.key : createWatermarker(o.key)
  const session = wm?.session({ prompt, payload: o.payload }) ?? null
  const ids = Uint32Array.from(generateTokens(model, { prompt, maxTokens: o.maxTokens, sample, session, stopAtEnd: o.stopAtEnd }))
  return { ids, text: tok.decode(ids), watermarked: session?.watermarked ?? 0 }
}
