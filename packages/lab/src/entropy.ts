/**
 * Controlled-entropy generation with the reference model: which tokens the sampler may
 * emit, and what each step's generating distribution looked like.
 *
 * Why mask unseen tokens: the Kneser–Ney estimate backs off to a uniform distribution
 * over the whole id space, so ~64 % of cl100k_base (ids that never occur in the training
 * corpus) keep a small probability each, and together they surface as junk tokens
 * (`an='',`, `arefindBy`) a real model would never emit. Masking them (−∞ before the
 * softmax) renormalizes the distribution over the tokens the model has evidence for.
 *
 * Why report entropy: a watermark's evidence per token grows with the entropy of the
 * distribution it samples from, so every power figure is only meaningful next to the
 * per-step entropy (nats) of the generating distribution — after the mask, temperature,
 * top-k and top-p, i.e. exactly the distribution the host draws from — and the
 * perplexity of the output under the unwatermarked model (masked, temperature 1).
 */
import type { SampleOptions } from '@tracemark/watermark'
import type { NgramModel } from './model/ngram.js'

const unseenCache = new WeakMap<NgramModel, Int32Array>()

/** Ids (below the special tokens) that never occur in the model's training data. */
export function unseenTokens(model: NgramModel, firstSpecial: number): Int32Array {
  let u = unseenCache.get(model)
  if (!u) {
    const ids: number[] = []
    for (let w = 0; w < Math.min(firstSpecial, model.vocabSize); w++) if (model.unigramNode[w] < 0) ids.push(w)
    u = Int32Array.from(ids)
    unseenCache.set(model, u)
  }
  return u
}

/** Sets the logits of the tokens in `ids` to −∞ (in place). */
export function maskIds(logits: Float32Array, ids: Int32Array): void {
  for (let i = 0; i < ids.length; i++) logits[ids[i]] = -Infinity
}

/** Per-step record of one generation (fill it by passing it to generateTokens / generate). */
export interface StepStats {
  /** Entropy in nats of the distribution the token was drawn from (mask, temperature, top-k, top-p applied). */
  readonly entropy: number[]
  /** ln p of the emitted token under the unwatermarked model: masked logits at temperature 1, no truncation. */
  readonly logProb: number[]
}

export function newStepStats(): StepStats {
  return { entropy: [], logProb: [] }
}

/** Mean and nearest-rank quantiles of per-step entropies (nats). */
export interface EntropySummary {
  readonly steps: number
  readonly mean: number
  readonly p10: number
  readonly p50: number
  readonly p90: number
}

/** Summary of entropies pooled over steps (and generations). */
export function entropySummary(values: Iterable<number>): EntropySummary {
  const s = Float64Array.from(values).sort()
  const q = (x: number) => (s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.max(0, Math.ceil(x * s.length) - 1))])
  let sum = 0
  for (const v of s) sum += v
  return { steps: s.length, mean: sum / s.length, p10: q(0.1), p50: q(0.5), p90: q(0.9) }
}

/** Entropy of the generating distribution and perplexity of the output, pooled over generations. */
export function summarizeSteps(stats: StepStats | readonly StepStats[]): { entropy: EntropySummary; perplexity: number } {
  const all = Array.isArray(stats) ? (stats as readonly StepStats[]) : [stats as StepStats]
  let lp = 0
  let n = 0
  for (const s of all) for (const v of s.logProb) (lp += v), n++
  return { entropy: entropySummary(all.flatMap((s) => s.entropy)), perplexity: Math.exp(-lp / n) }
}

let order = new Int32Array(0)

/**
 * Records one step: the entropy of the generating distribution of `logits` (already
 * masked) under the host's options, and ln p(token) under softmax(logits) at temperature 1.
 * Truncation follows the watermark package's sampler: top-k keeps the k largest logits,
 * top-p the shortest prefix in decreasing probability (ties toward lower ids) whose mass
 * reaches p; only tokens above a probability floor are sorted, the floor lowered until
 * the kept set is complete, so the result is exact.
 */
export function recordStep(stats: StepStats, logits: Float32Array, o: SampleOptions, token: number): void {
  const V = logits.length
  let max = -Infinity
  for (let i = 0; i < V; i++) if (logits[i] > max) max = logits[i]
  const t = o.temperature ?? 1
  const inv = t === 0 ? 0 : 1 / t
  const k = o.topK ?? 0
  const p = o.topP ?? 1
  const untruncated = t !== 0 && (k === 0 || k >= V) && p >= 1
  // One pass: Z at temperature 1 (for ln p(token)) and, untruncated, Z and Σ w·s at
  // temperature t, with s = (l − max)/t, w = e^s, so that H = ln Z − Σ w s / Z.
  let z1 = 0
  let z = 0
  let ws = 0
  for (let i = 0; i < V; i++) {
    const d = logits[i] - max
    if (d === -Infinity) continue
    z1 += Math.exp(d)
    if (untruncated) {
      const s = d * inv
      const w = inv === 1 ? Math.exp(d) : Math.exp(s)
      z += w
      ws += w * s
    }
  }
  stats.logProb.push(logits[token] - max - Math.log(z1))
  if (t === 0) {
    stats.entropy.push(0)
    return
  }
  if (untruncated) {
    stats.entropy.push(Math.log(z) - ws / z)
    return
  }
  let zAll = 0
  for (let i = 0; i < V; i++) zAll += Math.exp((logits[i] - max) * inv)
  if (order.length < V) order = new Int32Array(V)
  // Lower a floor on the weight until the tokens above it surely contain the kept set.
  let floor = 1e-3
  let m = 0
  for (;;) {
    m = 0
    let mass = 0
    for (let i = 0; i < V; i++) {
      const w = Math.exp((logits[i] - max) * inv)
      if (w >= floor && w > 0) {
        order[m++] = i
        mass += w
      }
    }
    // Top-k: the k largest are above the floor once k tokens are. Top-p alone: the
    // nucleus is inside the tokens above the floor once they carry mass p.
    const complete = k > 0 && k < V ? m >= k : mass >= p * zAll
    if (complete || floor === 0) break
    floor = floor < 1e-300 ? 0 : floor * 1e-3
  }
  const ord = order.subarray(0, m)
  ord.sort((a, b) => logits[b] - logits[a] || a - b)
  const kk = k > 0 && k < m ? k : m
  let zk = 0
  for (let j = 0; j < kk; j++) zk += Math.exp((logits[ord[j]] - max) * inv)
  if (!(k > 0 && k < V)) zk = zAll
  const target = p * zk
  let keep = 0
  let mass = 0
  while (keep < kk && mass < target) mass += Math.exp((logits[ord[keep++]] - max) * inv)
  let h = 0
  for (let j = 0; j < keep; j++) {
    const q = Math.exp((logits[ord[j]] - max) * inv) / mass
    if (q > 0) h -= q * Math.log(q)
  }
  stats.entropy.push(h)
}
