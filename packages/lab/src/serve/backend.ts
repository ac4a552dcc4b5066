/**
 * What the OpenAI-compatible server needs of a model: its tokenizer and a
 * decoding loop. The reference n-gram model is one backend; transformers.js and
 * node-llama-cpp models are others (./transformers-backend.ts, ./llama-cpp-backend.ts).
 */
import type { SampleOptions, Watermarker } from '@tracemark/watermark'
import { generateTokens, type FinishReason } from '../generate.js'
import type { NgramModel } from '../model/ngram.js'
import { encodeYielding } from './encode-prompt.js'
import { tokenizer } from './generate.js'

const tick = () => new Promise<void>((resolve) => setImmediate(resolve))

export interface BackendRequest {
  maxTokens: number
  /** The request's sampling; `random` is seeded when the request sends a seed. */
  sample: SampleOptions
  /** Watermark with this; null serves plain text. */
  watermarker: Watermarker | null
  /** The caller's account, when the key carries a fingerprint. */
  payload?: number
  /** Gumbel nonce of this choice (a seeded request); absent: the session draws one from the CSPRNG. */
  nonce?: number
  /** Aborted when the client goes away: stop generating. */
  signal: AbortSignal
}

export interface ServeBackend {
  /** Model id in responses and /v1/models. */
  readonly id: string
  /** The model's logits length: the key's vocabulary size must equal it. */
  readonly vocabSize: number
  /** Tokenizer name a key must record, or null when the key's name is not checked (runtimes). */
  readonly tokenizerName: string | null
  /** May be asynchronous so that a long prompt does not hold the event loop. */
  encode(text: string): number[] | Promise<number[]>
  decode(ids: number[]): string
  /** Yields the completion's token ids (end-of-text excluded); returns why it ended. */
  generate(prompt: number[], r: BackendRequest): AsyncGenerator<number, FinishReason>
}

/** Raised when the backend has no free slot for another request (HTTP 503). */
export class BusyError extends Error {}

export const NGRAM_MODEL_ID = 'tracemark-lab-ngram'

/** The lab's reference n-gram model, cl100k_base. */
export function ngramBackend(model: NgramModel): ServeBackend {
  return {
    id: NGRAM_MODEL_ID,
    vocabSize: model.vocabSize,
    tokenizerName: tokenizer.name,
    // Slice by slice, yielding between slices: a 1 MB prompt must not stall other clients.
    encode: async (text) => Array.from(await encodeYielding(tokenizer, text, tick)),
    decode: (ids) => tokenizer.decode(ids),
    async *generate(prompt, r) {
      // One watermark session per request; the caller's account is the fingerprint payload.
      const session = r.watermarker?.session({ prompt, payload: r.payload, nonce: r.nonce }) ?? null
      const tokens = generateTokens(model, { prompt, maxTokens: r.maxTokens, session, sample: r.sample })
      let step = tokens.next()
      for (; !step.done; step = tokens.next()) {
        if (r.signal.aborted) return 'length'
        yield step.value
      }
      return step.value
    },
  }
}
