/**
 * @tracemark/watermark/llama-cpp — watermarked generation with node-llama-cpp (v3).
 *
 * `node-llama-cpp` is an optional peer dependency: only this entry uses it, and
 * only through the objects the caller passes in.
 * @packageDocumentation
 */
import type { LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp'
import type { Session, Watermarker } from '../session.js'

/** Options of {@link watermarkedTokens} and {@link generateWatermarked}. */
export interface LlamaWatermarkOptions {
  /** Most tokens to generate. */
  maxTokens: number
  /** Softmax temperature; 0 is greedy. Default 1. */
  temperature?: number
  /** Keep the k most likely tokens (llama.cpp's top-k); 0 keeps all. Default 0. */
  topK?: number
  /** Nucleus truncation (llama.cpp's top-p). Default 1 (off). */
  topP?: number
  /** Drop tokens below minP × the top probability (llama.cpp's min-p). Default 0 (off). */
  minP?: number
  /** Stop after an end-of-generation token (it is yielded). Default true. */
  stopOnEog?: boolean
  /** The account to fingerprint (keys with a fingerprint). */
  payload?: number
  /** Uniform [0, 1) source for schemes that draw (kgw, unigram, synthid); default `Math.random`. */
  random?: () => number
  /** Stops generation between two tokens. */
  signal?: AbortSignal
}

/**
 * Generates watermarked tokens on a node-llama-cpp context sequence, yielding each
 * as soon as it is chosen (streaming; stop early by breaking out of the loop).
 *
 * @example
 * const seq = context.getSequence()
 * for await (const token of watermarkedTokens(seq, wm, model.tokenize('Once'), { maxTokens: 200 })) {
 *   process.stdout.write(model.detokenize([token]))
 * }
 *
 * At every step llama.cpp evaluates the sequence and returns the next-token
 * distribution after its own truncation (`topK`, `topP`, `minP`, computed at
 * temperature 1 as in its sampler chain, where temperature comes last); the
 * tracemark session applies the temperature and chooses the token from that
 * distribution, and the chosen token is fed back as the next input. The session's
 * prompt is everything the sequence holds before generation plus `prompt`, which
 * must not be empty (its last token yields the first distribution). Sequences of
 * one context generate concurrently (batching): run one call per sequence.
 */
export async function* watermarkedTokens(
  sequence: LlamaContextSequence,
  watermarker: Watermarker,
  prompt: readonly Token[],
  options: LlamaWatermarkOptions,
): AsyncGenerator<Token, void, void> {
  const { maxTokens } = options
  if (!Number.isInteger(maxTokens) || maxTokens < 0) throw new RangeError(`maxTokens must be a non-negative integer, got ${maxTokens}`)
  if (prompt.length === 0) throw new Error('watermarkedTokens: the prompt is empty (at least one token is needed to predict the next)')
  const V = watermarker.spec.vocabSize
  const modelVocab = llamaVocabSize(sequence.model)
  if (modelVocab !== undefined && modelVocab !== V) {
    throw new RangeError(`the model's vocabulary has ${modelVocab} tokens but the key's vocabulary size is ${V}: make the key with vocabSize ${modelVocab}`)
  }
  const session: Session = watermarker.session({ prompt: [...sequence.contextTokens, ...prompt], payload: options.payload })
  const sampling = { temperature: options.temperature ?? 1, random: options.random }
  const next = {
    generateNext: {
      probabilities: true,
      options: { temperature: 1, topK: options.topK ?? 0, topP: options.topP ?? 1, minP: options.minP ?? 0 },
    },
  }
  const logits = new Float32Array(V)
  let input: Token[] = [...prompt]
  for (let i = 0; i < maxTokens; i++) {
    options.signal?.throwIfAborted()
    const items = [...input.slice(0, -1), [input[input.length - 1], next] as [Token, typeof next]]
    const out = await sequence.controlledEvaluate(items)
    const probs = out[items.length - 1]?.next.probabilities
    if (!probs) throw new Error('node-llama-cpp returned no next-token probabilities')
    toLogits(probs, logits)
    const token = session.sample(logits, sampling) as Token
    yield token
    if ((options.stopOnEog ?? true) && sequence.model.isEogToken(token)) return
    input = [token]
  }
}

/** The whole watermarked completion: its tokens and text, and why it stopped. */
export async function generateWatermarked(
  sequence: LlamaContextSequence,
  watermarker: Watermarker,
  prompt: readonly Token[],
  options: LlamaWatermarkOptions,
): Promise<{ tokens: Token[]; text: string; stopReason: 'eog' | 'maxTokens' }> {
  const tokens: Token[] = []
  for await (const t of watermarkedTokens(sequence, watermarker, prompt, options)) tokens.push(t)
  const eog = tokens.length > 0 && sequence.model.isEogToken(tokens[tokens.length - 1]) && (options.stopOnEog ?? true)
  return { tokens, text: sequence.model.detokenize(tokens), stopReason: eog ? 'eog' : 'maxTokens' }
}

/**
 * llama.cpp's probabilities as log-probabilities over the whole vocabulary (the
 * truncated tokens -Infinity): the same distribution as its logits, up to a constant.
 */
function toLogits(probs: Map<Token, number>, logits: Float32Array): void {
  logits.fill(-Infinity)
  let outside = -1
  // forEach, not for-of: no [key, value] array per entry over a 100k+ vocabulary.
  probs.forEach((p, token) => {
    if (token >= logits.length) outside = token
    else if (p > 0) logits[token] = Math.log(p)
  })
  if (outside !== -1) throw new RangeError(`the model produced token ${outside} but the key's vocabulary size is ${logits.length}`)
}

/** The model's vocabulary size (its logits length) from the GGUF metadata, when recorded. */
function llamaVocabSize(model: LlamaModel): number | undefined {
  return model.fileInfo?.metadata?.tokenizer?.ggml?.tokens?.length
}
