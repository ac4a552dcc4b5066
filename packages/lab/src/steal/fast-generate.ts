import { sampleLogits, type SampleOptions, type Session } from '@tracemark/watermark'
import { logits as fullLogits, sparseTopLogits, type NgramModel } from '../model/ngram.js'

/** First id of cl100k_base's special tokens (as in generate.ts): never emitted. */
const END_OF_TEXT = 100_257
/**
 * Candidate sets, narrow first: unigram ids kept, and successors read per
 * context suffix (see sparseTopLogits; Infinity: all of them). A step takes the
 * first set that proves the top k, else the full logits; the narrow one usually
 * does, since the n-gram continuations carry the top k.
 */
const TIERS = [
  { unigrams: 128, successors: 64 },
  // The spoofer's bias widens the margin the proof needs.
  { unigrams: 1024, successors: 512 },
  { unigrams: 4096, successors: Infinity },
]
/** Float32 rounding of the logits, kept out of the exactness check. */
const ROUNDING = 1e-4

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
    .slice(0, Math.max(...TIERS.map((t) => t.unigrams)))
    .map(([, id]) => id)
  const tiers = TIERS.map((t) => ({ unigramIds: Int32Array.from(ranked.slice(0, t.unigrams)), successors: t.successors }))
  const order: Array<Map<number, Int32Array>> = []
  const support = new Int32Array(V)
  let count = 0
  let fallbacks = 0
  let widened = 0
  let steps = 0

  /** The k-th largest of the touched logits (-Infinity when fewer than k are finite). */
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
          const x = heap[p]; heap[p] = heap[j]; heap[j] = x
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
          const x = heap[m]; heap[m] = heap[j]; heap[j] = x
          j = m
        }
      }
    }
    return size < k ? -Infinity : heap[0]
  }

  /** Sparse logits of the next token with the given unigram ids (bias not applied); returns the floor below which no untouched id lies. */
  const fill = (context: readonly number[], tier: (typeof tiers)[number]): number => {
    for (let j = 0; j < count; j++) out[touched[j]] = -Infinity
    const r = sparseTopLogits(model, context, out, touched, tier.unigramIds, tier.successors, order)
    count = r.count
    for (let j = 0; j < count; j++) if (touched[j] > END_OF_TEXT) out[touched[j]] = -Infinity
    return r.floor
  }

  /**
   * The ids within `slack` of the k-th logit, ascending: a superset of what top-k
   * keeps, and the only ids a top-k sampler with that slack can read, so sampling
   * `out` restricted to them draws the token the full logits would.
   */
  const supportAbove = (cut: number): Int32Array => {
    let n = 0
    for (let i = 0; i < count; i++) if (out[touched[i]] >= cut) support[n++] = touched[i]
    return support.subarray(0, n).sort()
  }

  /**
   * The candidates of the next token after `context` under the top-k rule: ids
   * and logits (bias not applied), most likely first. For the scrubber.
   */
  function candidates(context: readonly number[]): Array<{ id: number; logit: number }> {
    fill(context, tiers.at(-1)!)
    const floor = kth()
    const c: Array<{ id: number; logit: number }> = []
    for (let j = 0; j < count; j++) if (out[touched[j]] >= floor && out[touched[j]] > -Infinity) c.push({ id: touched[j], logit: out[touched[j]] })
    return c.sort((a, b) => b.logit - a.logit)
  }

  function generate(s: FastStep): Uint32Array {
    const context = Array.from(s.prompt)
    const sample: SampleOptions = { topK: o.topK, temperature: s.temperature, random: s.random }
    const margin = o.slack + (s.maxBias ?? 0)
    const ids: number[] = []
    for (let i = 0; i < s.maxTokens; i++) {
      steps++
      let cut = NaN
      for (let tier = 0; tier < tiers.length; tier++) {
        const floor = fill(context, tiers[tier])
        s.bias?.(context, out)
        const k = kth()
        if (k - margin > floor + ROUNDING) {
          cut = k - o.slack
          break
        }
        if (tier === 0) widened++
      }
      let id: number
      if (cut === cut) {
        // Plain sampling goes through the host's own sampler too, so both paths draw the reference's tokens.
        const sparse = { ...sample, support: supportAbove(cut) }
        id = s.session ? s.session.sample(out, sparse) : sampleLogits(out, sparse)
      } else {
        fallbacks++
        fullLogits(model, context, full)
        for (let t = END_OF_TEXT + 1; t < V; t++) full[t] = -Infinity
        s.bias?.(context, full)
        id = s.session ? s.session.sample(full, sample) : sampleLogits(full, sample)
      }
      if (id === END_OF_TEXT) break
      context.push(id)
      ids.push(id)
    }
    return Uint32Array.from(ids)
  }
  return { generate, candidates, stats: () => ({ steps, fallbacks, widened }) }
}
