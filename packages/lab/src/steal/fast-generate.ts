import { sampleLogits, type SampleOptions, type Session } from '@tracemark/watermark'
import { logits as fullLogits, sparseLogits, type NgramModel } from '../model/ngram.js'

/** First id of cl100k_base's special tokens (as in generate.ts): never emitted. */
const END_OF_TEXT = 100_257
/** Unigram ids kept as candidates at every step (see sparseLogits). */
const UNIGRAM_CANDIDATES = 4096

/** Adds a bias to the logits of the current context (the spoofer's learned preferences); returns nothing. */
export type LogitBias = (context: readonly number[], logits: Float32Array) => void

export interface FastStep {
  prompt: ArrayLike<number>
  maxTokens: number
  /** Watermark session, or null to sample plainly. */
  session: Session | null
  random: () => number
  temperature?: number
  bias?: LogitBias
  /** Largest total bias `bias` adds to one logit (widens the exactness check). */
  maxBias?: number
}

/**
 * Top-k generation with the reference model that computes logits only for the
 * tokens that can make the top k: the same tokens as `generateTokens` with
 * `topK` (the test checks it), several times faster, because the attack lab
 * generates millions of tokens. Whenever it cannot prove that the sparse set
 * holds the top k plus the sampler's slack, it computes the full logits.
 * Stops at end-of-text like `generateTokens`.
 */
export function createFastGenerator(model: NgramModel, o: { topK: number; slack: number }) {
  const V = model.vocabSize
  const out = new Float32Array(V).fill(-Infinity)
  const full = new Float32Array(V)
  const touched = new Int32Array(V)
  const heap = new Float64Array(o.topK)
  const ranked = Array.from(model.unigramLogProb.subarray(0, END_OF_TEXT + 1), (lp, id) => [lp, id] as const)
    .sort((a, b) => b[0] - a[0])
    .slice(0, UNIGRAM_CANDIDATES)
    .map(([, id]) => id)
  const unigramIds = Int32Array.from(ranked)
  let count = 0
  let fallbacks = 0
  let steps = 0

  /** The k-th largest of the touched logits. */
  const kth = (): number => {
    const k = o.topK
    let size = 0
    for (let i = 0; i < count; i++) {
      const v = out[touched[i]]
      if (v === -Infinity) continue
      if (size < k) {
        let j = size++
        heap[j] = v
        while (j > 0) {
          const p = (j - 1) >> 1
          if (heap[p] <= heap[j]) break
          ;[heap[p], heap[j]] = [heap[j], heap[p]]
          j = p
        }
      } else if (v > heap[0]) {
        heap[0] = v
        let j = 0
        for (;;) {
          const l = 2 * j + 1
          const r = l + 1
          let m = j
          if (l < k && heap[l] < heap[m]) m = l
          if (r < k && heap[r] < heap[m]) m = r
          if (m === j) break
          ;[heap[m], heap[j]] = [heap[j], heap[m]]
          j = m
        }
      }
    }
    return size < k ? -Infinity : heap[0]
  }

  const probs = new Float64Array(V)
  /** Top-k sampling (temperature t) among the touched ids at or above the k-th logit. */
  const drawTopK = (s: FastStep): number => {
    const floor = kth()
    const t = s.temperature ?? 1
    let max = -Infinity
    for (let i = 0; i < count; i++) if (out[touched[i]] > max) max = out[touched[i]]
    let sum = 0
    for (let i = 0; i < count; i++) {
      const v = out[touched[i]]
      probs[i] = v >= floor ? Math.exp((v - max) / t) : 0
      sum += probs[i]
    }
    let u = s.random() * sum
    for (let i = 0; i < count; i++) if ((u -= probs[i]) < 0) return touched[i]
    for (let i = count - 1; i >= 0; i--) if (probs[i] > 0) return touched[i]
    throw new Error('no candidate')
  }

  /**
   * The candidates of the next token after `context` under the top-k rule: ids
   * and logits (bias not applied), most likely first. For the scrubber.
   */
  function candidates(context: readonly number[]): Array<{ id: number; logit: number }> {
    for (let j = 0; j < count; j++) out[touched[j]] = -Infinity
    count = sparseLogits(model, context, out, touched, unigramIds).count
    for (let j = 0; j < count; j++) if (touched[j] > END_OF_TEXT) out[touched[j]] = -Infinity
    const floor = kth()
    const c: Array<{ id: number; logit: number }> = []
    for (let j = 0; j < count; j++) if (out[touched[j]] >= floor && out[touched[j]] > -Infinity) c.push({ id: touched[j], logit: out[touched[j]] })
    return c.sort((a, b) => b.logit - a.logit)
  }

  function generate(s: FastStep): Uint32Array {
    const context = Array.from(s.prompt)
    const sample: SampleOptions = { topK: o.topK, temperature: s.temperature, random: s.random }
    const ids: number[] = []
    for (let i = 0; i < s.maxTokens; i++) {
      steps++
      for (let j = 0; j < count; j++) out[touched[j]] = -Infinity
      const r = sparseLogits(model, context, out, touched, unigramIds)
      count = r.count
      for (let j = 0; j < count; j++) if (touched[j] > END_OF_TEXT) out[touched[j]] = -Infinity
      s.bias?.(context, out)
      let logits = out
      if (!(kth() - o.slack - (s.maxBias ?? 0) > r.floor)) {
        fallbacks++
        fullLogits(model, context, full)
        for (let t = END_OF_TEXT + 1; t < V; t++) full[t] = -Infinity
        s.bias?.(context, full)
        logits = full
      }
      // Plain sampling from the sparse set needs no pass over the vocabulary.
      const id = s.session ? s.session.sample(logits, sample) : logits === out ? drawTopK(s) : sampleLogits(logits, sample)
      if (id === END_OF_TEXT) break
      context.push(id)
      ids.push(id)
    }
    return Uint32Array.from(ids)
  }
  return { generate, candidates, stats: () => ({ steps, fallbacks }) }
}
