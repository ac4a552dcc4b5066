/**
 * Generation for the evaluation, and the two quality measures that need the model:
 * the log-likelihood of a continuation under the unwatermarked model, and the exact
 * per-step KL divergence of a green-list embed rule.
 */
import { createWatermarker, seededRandom, type SampleOptions, type Session, type Watermarker, type WatermarkKey } from '@tracemark/watermark'
import { newStepStats, type StepStats } from '../entropy.js'
import { generate, hostLogits } from '../generate.js'
import type { NgramModel } from '../model/ngram.js'

/** The host's sampling settings of a run: temperature and top-p (top-k unused). */
export interface Sampling {
  readonly temperature: number
  readonly topP: number
}

export const TEMPERATURE_1: Sampling = { temperature: 1, topP: 1 }

/** " 🙂": one cl100k_base token (most emojis take two or three), appended by the host in the emoji attack. */
export const EMOJI_TOKEN = 28_584

export interface Continuation {
  /** Generated ids (prompt excluded). */
  readonly ids: Uint32Array
  /** Wall time of the generation loop in milliseconds (the step statistics included). */
  readonly ms: number
  /** Per-step entropy of the generating distribution and ln p of each token under the unwatermarked model. */
  readonly stats: StepStats
}

/** A fixed-length continuation through `generate()` (plain when `key` is null), unseen tokens masked. */
export function continuation(model: NgramModel, key: WatermarkKey | Watermarker | null, prompt: Uint32Array, tokens: number, seed: number, sampling: Sampling = TEMPERATURE_1): Continuation {
  const t0 = performance.now()
  const stats = newStepStats()
  const g = generate(model, { key: key ?? undefined, watermark: key !== null, prompt, maxTokens: tokens, seed, stopAtEnd: false, stats, temperature: sampling.temperature, topP: sampling.topP })
  return { ids: g.ids, ms: performance.now() - t0, stats }
}

/**
 * The emoji attack, run the only way it can be: during generation. generate()'s loop,
 * except that after each generated token, with probability `strength`, the host appends
 * an emoji token to the context (the model and the watermark session both see it,
 * `session.accept`). The emojis are removed from the returned ids, as the attacker
 * deletes them from the text. `tokens` counts the non-emoji tokens.
 */
export function emojiContinuation(
  model: NgramModel,
  wm: Watermarker,
  prompt: Uint32Array,
  tokens: number,
  seed: number,
  strength: number,
  emojiSeed: number,
  sampling: Sampling = TEMPERATURE_1,
): { ids: Uint32Array; emojis: number } {
  const random = seededRandom(seed)
  const coin = seededRandom(emojiSeed)
  const session = wm.session({ prompt })
  const context = Array.from(prompt)
  const out: number[] = []
  const logits = new Float32Array(model.vocabSize)
  let emojis = 0
  while (out.length < tokens) {
    hostLogits(model, context, logits, false)
    const id = session.sample(logits, { random, temperature: sampling.temperature, topP: sampling.topP })
    context.push(id)
    out.push(id)
    if (coin() < strength) {
      session.accept(EMOJI_TOKEN)
      context.push(EMOJI_TOKEN)
      emojis++
    }
  }
  return { ids: Uint32Array.from(out), emojis }
}

function concat(a: Uint32Array, b: Uint32Array): Uint32Array {
  const x = new Uint32Array(a.length + b.length)
  x.set(a)
  x.set(b, a.length)
  return x
}

/**
 * Exact KL(p_wm || p) at each of the first `steps` steps of a generated continuation, for
 * the green-list schemes: p = softmax(host logits / T) with the same masks the generator
 * used, p_wm = softmax((logits + delta * green) / T) as `session.bias` and the sampler make
 * it (top-p, when used, is not applied: the figure is then the KL before truncation). A
 * second session is fed the same history (`accept`), so a window already used is not
 * biased again (KL 0 at that step), exactly as during generation.
 */
export function greenListKl(model: NgramModel, key: WatermarkKey, prompt: Uint32Array, ids: Uint32Array, steps: number, temperature = 1): { sum: number; steps: number; biased: number } {
  const session: Session = createWatermarker(key).session({ prompt })
  const all = concat(prompt, ids)
  const V = model.vocabSize
  const p = new Float32Array(V)
  const q = new Float32Array(V)
  let sum = 0
  let biased = 0
  const n = Math.min(steps, ids.length)
  for (let t = 0; t < n; t++) {
    hostLogits(model, all.subarray(0, prompt.length + t), p, false)
    q.set(p)
    session.bias(q)
    session.accept(ids[t])
    if (temperature !== 1) {
      for (let x = 0; x < V; x++) {
        p[x] /= temperature
        q[x] /= temperature
      }
    }
    const kl = klFromLogits(q, p)
    if (kl > 0) biased++
    sum += kl
  }
  return { sum, steps: n, biased }
}

/** KL(softmax(q) || softmax(p)) for two logit vectors with the same -Infinity mask. */
export function klFromLogits(q: Float32Array, p: Float32Array): number {
  let mq = -Infinity
  let mp = -Infinity
  for (let x = 0; x < q.length; x++) {
    if (q[x] > mq) mq = q[x]
    if (p[x] > mp) mp = p[x]
  }
  let sq = 0
  let sp = 0
  for (let x = 0; x < q.length; x++) {
    if (p[x] === -Infinity) continue
    sq += Math.exp(q[x] - mq)
    sp += Math.exp(p[x] - mp)
  }
  const lzq = mq + Math.log(sq)
  const lzp = mp + Math.log(sp)
  let kl = 0
  for (let x = 0; x < q.length; x++) {
    if (p[x] === -Infinity) continue
    const lq = q[x] - lzq
    kl += Math.exp(lq) * (lq - (p[x] - lzp))
  }
  return Math.max(0, kl)
}
