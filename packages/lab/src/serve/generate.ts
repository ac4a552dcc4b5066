/**
 * Token-by-token generation for the server: the lab's reference model behind a tracemark
 * session, exactly as a serving stack calls it (logits in, token out).
 */
import { getTokenizer } from '@tracemark/detector'
import { sampleLogits, seededRandom, type SampleOptions, type Watermarker } from '@tracemark/watermark'
import { logits as modelLogits, type NgramModel } from '../model/ngram.js'

/** cl100k_base's <|endoftext|>; the ids above it are other special tokens, never emitted. */
const END_OF_TEXT = 100_257

export const tokenizer = getTokenizer('cl100k_base')

export interface StepOptions {
  promptIds: ArrayLike<number>
  maxTokens: number
  temperature: number
  topP?: number
  topK?: number
  /** Same seed, same request: same output. Without a seed: Math.random. */
  seed?: number
  /** null: serve unwatermarked. */
  watermarker: Watermarker | null
  /** The account embedded as the fingerprint payload (required iff the key has a fingerprint). */
  payload?: number
}

export type FinishReason = 'stop' | 'length'

/** Yields token ids one at a time; returns why generation ended. */
export function* generateTokens(model: NgramModel, o: StepOptions): Generator<number, FinishReason> {
  const sample: SampleOptions = {
    temperature: o.temperature,
    topP: o.topP,
    topK: o.topK,
    random: o.seed === undefined ? Math.random : seededRandom(o.seed),
  }
  const session = o.watermarker?.session({ prompt: o.promptIds, payload: o.payload })
  const context = Array.from(o.promptIds)
  const logits = new Float32Array(model.vocabSize)
  for (let i = 0; i < o.maxTokens; i++) {
    modelLogits(model, context, logits)
    for (let t = END_OF_TEXT + 1; t < logits.length; t++) logits[t] = -Infinity // mask specials
    const id = session ? session.sample(logits, sample) : sampleLogits(logits, sample)
    if (id === END_OF_TEXT) return 'stop'
    context.push(id)
    yield id
  }
  return 'length'
}

/**
 * Turns token ids into text deltas whose concatenation is `decode(all ids)`. A token can
 * end in the middle of a UTF-8 character (decoded as a trailing U+FFFD): such tokens are
 * held back until the character completes, or until `flush()`.
 */
export function textStream(): { push(id: number): string; flush(): string } {
  let pending: number[] = []
  return {
    push(id) {
      pending.push(id)
      const text = tokenizer.decode(pending)
      if (text.endsWith('\uFFFD')) return ''
      pending = []
      return text
    },
    flush() {
      const text = pending.length ? tokenizer.decode(pending) : ''
      pending = []
      return text
    },
  }
}
