import { getTokenizer } from '@tracemark/detector'
import {
  createWatermarker,
  gumbelNonces,
  sampleLogits,
  seededRandom,
  type SampleOptions,
  type Session,
  type Watermarker,
  type WatermarkKey,
  type WatermarkSpec,
} from '@tracemark/watermark'
import { maskIds, recordStep, unseenTokens, type StepStats } from './entropy.js'
import { logits as modelLogits, type NgramModel } from './model/ngram.js'

/**
 * A gumbel key's nonce drawn from the sampler seed (a stream of its own), so the lab's
 * "same seed, same output" holds while different seeds use different nonces; undefined
 * for keys with one stream.
 */
export function seededNonce(spec: WatermarkSpec, seed: number): number | undefined {
  const n = gumbelNonces(spec)
  return n > 1 ? Math.floor(seededRandom((seed ^ 0x6e6f6e63) >>> 0)() * n) : undefined
}

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
  /** Gumbel keys with nonces: the request's nonce; default drawn from `seed` (same seed, same output). */
  nonce?: number
  /** Gumbel's plain opening prefix in nats (the session's `prefixNats`); default the session's. */
  prefixNats?: number
  /** Gumbel's probability of a plain step after the prefix (the session's `plainRate`); default the session's. */
  plainRate?: number
  /** Stop at the model's end-of-text token (default true). */
  stopAtEnd?: boolean
  /** Mask tokens the model never saw in training (default true: no junk tokens from the uniform back-off). */
  maskUnseen?: boolean
  /** Filled with each step's entropy and the output's log-probabilities (see entropy.ts). */
  stats?: StepStats
}

export interface Generation {
  /** Continuation token ids (prompt excluded, end-of-text excluded). */
  ids: Uint32Array
  text: string
  /** Tokens whose window was watermarked (repeats and prompt-only windows are not). */
  watermarked: number
  /** Tokens of gumbel's plain opening prefix (the session's `prefixTokens`; 0 without a watermark). */
  prefixTokens: number
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
  /** Mask tokens the model never saw in training (default true). */
  maskUnseen?: boolean
  /** Filled with each step's entropy of the generating distribution and ln p of the token under the unwatermarked model. */
  stats?: StepStats
}

/**
 * The host's logits for the next token: the model's, with special tokens masked as a
 * host's tokenizer config would (end-of-text too when `stopAtEnd` is false) and, unless
 * `maskUnseen` is false, every token never seen in training.
 */
export function hostLogits(model: NgramModel, context: ArrayLike<number>, out: Float32Array, stopAtEnd = true, maskUnseen = true): Float32Array {
  modelLogits(model, context, out)
  for (let t = stopAtEnd ? END_OF_TEXT + 1 : END_OF_TEXT; t < out.length; t++) out[t] = -Infinity
  if (maskUnseen) maskIds(out, unseenTokens(model, END_OF_TEXT))
  return out
}

/**
 * The decoding loop every lab generator shares (the CLI, the evaluation, the
 * server): the host's logits ({@link hostLogits}), one token from the session. Yields token ids; returns why it ended.
 */
export function* generateTokens(model: NgramModel, o: StepOptions): Generator<number, FinishReason> {
  const context = Array.from(o.prompt)
  const logits = new Float32Array(model.vocabSize)
  for (let i = 0; i < o.maxTokens; i++) {
    hostLogits(model, context, logits, o.stopAtEnd !== false, o.maskUnseen !== false)
    const id = o.session ? o.session.sample(logits, o.sample) : sampleLogits(logits, o.sample)
    if (o.stats) recordStep(o.stats, logits, o.sample, id)
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
  const session = wm?.session({ prompt, payload: o.payload, nonce: o.nonce ?? seededNonce(wm.spec, o.seed ?? 0), prefixNats: o.prefixNats, plainRate: o.plainRate }) ?? null
  const ids = Uint32Array.from(generateTokens(model, { prompt, maxTokens: o.maxTokens, sample, session, stopAtEnd: o.stopAtEnd, maskUnseen: o.maskUnseen, stats: o.stats }))
  return { ids, text: tok.decode(ids), watermarked: session?.watermarked ?? 0, prefixTokens: session?.prefixTokens ?? 0 }
}
