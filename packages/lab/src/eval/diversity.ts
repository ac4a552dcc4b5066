/**
 * Diversity of regenerated answers: the same prompt sent `regenerations` times to a
 * server holding ONE key, each request with its own sampler seed (and, for gumbel
 * keys with nonces, the nonce drawn from that seed as `generate()` does). Plain
 * sampling from the same prompts and seeds is the reference.
 *
 * Per prompt: the number of distinct answers; distinct-2 (distinct token bigrams over
 * all bigrams of the answers, pooled over the regenerations); self-similarity (mean
 * Jaccard similarity of the token 4-gram sets of every pair of answers, a self-BLEU-like
 * figure). Reported as the mean over prompts with a 95 % interval (mean ± 1.96 sd/√n).
 * For watermarked configurations also: the fraction of answers detected at FPR 1e-6
 * and their mean log10 p (the nonce correction included), the exact price of the nonces.
 */
import { detect } from '@tracemark/detector'
import { createWatermarker, generateKey, gumbelNonces, type SpecInput } from '@tracemark/watermark'
import { summarizeSteps, type StepStats } from '../entropy.js'
import { generate } from '../generate.js'
import { loadOrTrainDefaultModel } from '../model/default.js'
import { heldOut, promptFor } from './data.js'
import type { Sampling } from './generation.js'
import { derivedSecret, derivedSeed } from './keys.js'

/**
 * The configurations compared: plain sampling; gumbel with no fresh randomness, with
 * nonces, with the plain opening prefix (the session's default), and with both the
 * race fingerprint and the prefix; synthid.
 */
export const DIVERSITY_CONFIGS: readonly DiversityConfig[] = [
  { label: 'plain', input: null },
  { label: 'gumbel-h4', input: { scheme: 'gumbel', h: 4 }, prefixNats: 0, plainRate: 0 },
  { label: 'gumbel-h4-n16', input: { scheme: 'gumbel', h: 4, nonces: 16 }, prefixNats: 0, plainRate: 0 },
  { label: 'gumbel-h4-n4096', input: { scheme: 'gumbel', h: 4, nonces: 4096 }, prefixNats: 0, plainRate: 0 },
  { label: 'gumbel-h4-prefix4', input: { scheme: 'gumbel', h: 4 }, prefixNats: 4, plainRate: 0 },
  { label: 'gumbel-h4-prefix8', input: { scheme: 'gumbel', h: 4 }, prefixNats: 8, plainRate: 0 },
  { label: 'gumbel-h4-n16-prefix8', input: { scheme: 'gumbel', h: 4, nonces: 16 }, prefixNats: 8, plainRate: 0 },
  { label: 'gumbel-h4-n256-prefix8', input: { scheme: 'gumbel', h: 4, nonces: 256 }, prefixNats: 8, plainRate: 0 },
  { label: 'gumbel-h4-prefix8-plain0.1', input: { scheme: 'gumbel', h: 4 }, prefixNats: 8, plainRate: 0.1 },
  { label: 'gumbel-h4-prefix8-plain0.25', input: { scheme: 'gumbel', h: 4 }, prefixNats: 8, plainRate: 0.25 },
  // keygen's default since the race fingerprint became it: one account regenerating its answer...
  { label: 'gumbel-h4-race-prefix8', input: { scheme: 'gumbel', h: 4, fingerprint: { bits: 32 } }, prefixNats: 8, plainRate: 0 },
  // ...and sessions opened without an account, which draw a payload per request.
  { label: 'gumbel-h4-race-request-payload', input: { scheme: 'gumbel', h: 4, fingerprint: { bits: 32 } }, prefixNats: 8, plainRate: 0, payloadPerRequest: true },
  { label: 'synthid-d30', input: { scheme: 'synthid', h: 4, depth: 30 } },
]

export interface DiversityConfig {
  readonly label: string
  /** null: plain sampling. */
  readonly input: SpecInput | null
  /** The session's plain opening prefix in nats (gumbel); absent: the session's default. */
  readonly prefixNats?: number
  /** The session's probability of a plain step after the prefix (gumbel); absent: the session's default. */
  readonly plainRate?: number
  /**
   * Fingerprinted keys: a payload per request, as a session opened without one draws
   * (here from the request's sampler seed, for a reproducible run); otherwise the
   * regenerating user's account.
   */
  readonly payloadPerRequest?: boolean
}

export interface Interval {
  readonly mean: number
  readonly ci95: [number, number]
}

export interface DiversityRow {
  readonly label: string
  readonly prompts: number
  readonly regenerations: number
  readonly tokens: number
  readonly distinctAnswers: Interval
  readonly distinct2: Interval
  readonly selfSimilarity: Interval
  readonly meanEntropy: number
  readonly perplexity: number
  /** Watermarked only: fraction of answers with p < 1e-6, and mean log10 p. */
  readonly tpr1e6: number | null
  readonly meanLog10P: number | null
  /** Gumbel keys with nonces: mean over answers of the correction's cost in log10 p (detected − own stream). */
  readonly nonceCostLog10: number | null
  /** Mean tokens of the plain opening prefix per answer (0 when the session has none). */
  readonly meanPrefixTokens: number
}

function interval(xs: readonly number[]): Interval {
  const n = xs.length
  const mean = xs.reduce((a, b) => a + b, 0) / n
  const sd = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0
  const half = (1.96 * sd) / Math.sqrt(n)
  return { mean, ci95: [mean - half, mean + half] }
}

function ngrams(ids: Uint32Array, n: number): Set<string> {
  const out = new Set<string>()
  for (let i = 0; i + n <= ids.length; i++) out.add(Array.prototype.join.call(ids.subarray(i, i + n), ','))
  return out
}

/** distinct-2 of a group of answers: distinct bigrams / all bigrams. */
export function distinctN(answers: readonly Uint32Array[], n = 2): number {
  const all = new Set<string>()
  let total = 0
  for (const a of answers) {
    for (let i = 0; i + n <= a.length; i++) all.add(Array.prototype.join.call(a.subarray(i, i + n), ','))
    total += Math.max(0, a.length - n + 1)
  }
  return total === 0 ? 0 : all.size / total
}

/** Mean pairwise Jaccard similarity of the answers' 4-gram sets. */
export function selfSimilarity(answers: readonly Uint32Array[]): number {
  const sets = answers.map((a) => ngrams(a, 4))
  let sum = 0
  let pairs = 0
  for (let i = 0; i < sets.length; i++) {
    for (let j = i + 1; j < sets.length; j++) {
      let inter = 0
      for (const g of sets[i]) if (sets[j].has(g)) inter++
      const union = sets[i].size + sets[j].size - inter
      sum += union === 0 ? 1 : inter / union
      pairs++
    }
  }
  return pairs === 0 ? 0 : sum / pairs
}

/** One configuration's diversity over `prompts` × `regenerations` answers of `tokens` tokens. */
export function diversityRow(config: DiversityConfig, sampling: Sampling, prompts = 50, regenerations = 10, tokens = 64, seed = 1): DiversityRow {
  const model = loadOrTrainDefaultModel()
  const held = heldOut()
  const key = config.input ? generateKey(config.input, { secret: derivedSecret(seed, 'diversity', config.label) }) : null
  const wm = key ? createWatermarker(key) : null
  const N = key ? gumbelNonces(key.spec) : 1
  const distinct: number[] = []
  const d2: number[] = []
  const sim: number[] = []
  const stats: StepStats[] = []
  let detected = 0
  let log10 = 0
  let cost = 0
  let answers = 0
  let prefixTokens = 0
  for (let p = 0; p < prompts; p++) {
    const prompt = promptFor(held, p, 12)
    const group: Uint32Array[] = []
    for (let r = 0; r < regenerations; r++) {
      const s = { entropy: [] as number[], logProb: [] as number[] }
      const samplerSeed = derivedSeed(seed, 'diversity-sampler', p, r)
      const g = generate(model, { key: wm ?? undefined, watermark: wm !== null, prompt, maxTokens: tokens, seed: samplerSeed, prefixNats: config.prefixNats, plainRate: config.plainRate, payload: key?.spec.fingerprint ? (config.payloadPerRequest ? derivedSeed(seed, 'diversity-payload', p, r) : accountFor(p)) : undefined, stopAtEnd: false, temperature: sampling.temperature, topP: sampling.topP, stats: s })
      group.push(g.ids)
      prefixTokens += g.prefixTokens
      stats.push(s)
      answers++
      if (wm) {
        const res = detect(g.ids, wm)
        if (res.pValue < 1e-6) detected++
        log10 += res.log10PValue
        // The exact price of the nonces: the corrected p against the best stream's own p.
        if (N > 1) cost += res.log10PValue - ownLog10(res.log10PValue, N)
      }
    }
    distinct.push(new Set(group.map((a) => a.join(','))).size)
    d2.push(distinctN(group))
    sim.push(selfSimilarity(group))
  }
  const q = summarizeSteps(stats)
  return {
    label: config.label,
    prompts,
    regenerations,
    tokens,
    distinctAnswers: interval(distinct),
    distinct2: interval(d2),
    selfSimilarity: interval(sim),
    meanEntropy: q.entropy.mean,
    perplexity: q.perplexity,
    tpr1e6: wm ? detected / answers : null,
    meanLog10P: wm ? log10 / answers : null,
    nonceCostLog10: N > 1 ? cost / answers : null,
    meanPrefixTokens: prefixTokens / answers,
  }
}

/** The regenerating user's account (one per prompt: a user regenerates their own answer). */
function accountFor(prompt: number): number {
  return (0x9e3779b1 * (prompt + 1)) >>> 0
}

/** log10 of p_min given the corrected log10 p = log10(1 − (1 − p_min)^N). */
function ownLog10(corrected: number, N: number): number {
  const pc = 10 ** corrected
  if (pc < 1e-12) return corrected - Math.log10(N)
  return Math.log10(-Math.expm1(Math.log1p(-pc) / N))
}
