import { detect } from '@tracemark/detector'
import type { Watermarker } from '@tracemark/watermark'
import { logProb, type NgramModel } from '../model/ngram.js'
import { preferences, type Learned } from './learn.js'
import type { createFastGenerator } from './fast-generate.js'

type Generator = ReturnType<typeof createFastGenerator>

/** One text's verdict under the victim's key. */
export interface Verdict {
  log10P: number
  /** Account named by the fingerprint at 1e-6, or null (keys without a fingerprint: undefined). */
  account?: number | null
}

export function verdict(ids: ArrayLike<number>, wm: Watermarker): Verdict {
  const r = detect(ids, wm, { alpha: 1e-6 })
  return r.attribution === undefined ? { log10P: r.log10PValue } : { log10P: r.log10PValue, account: r.attribution?.account ?? null }
}

/**
 * Spoofing: the attacker's own model generates, each logit raised by
 * `strength` times the learned preference of its token in the current context
 * (capped at `cap`). No key is involved: whatever the detector finds, the
 * attacker forged.
 */
export function spoof(gen: Generator, learned: Learned, o: { prompt: number[]; maxTokens: number; random: () => number; strength: number; cap: number; temperature?: number }): Uint32Array {
  const prefs = new Map<number, number>()
  return gen.generate({
    prompt: o.prompt,
    maxTokens: o.maxTokens,
    session: null,
    random: o.random,
    temperature: o.temperature,
    maxBias: o.strength * o.cap,
    bias: (context, logits) => {
      preferences(learned, context, prefs)
      for (const [t, s] of prefs) if (logits[t] > -Infinity) logits[t] += o.strength * Math.min(o.cap, s)
    },
  })
}

/**
 * Scrubbing: rewrite a watermarked answer token by token. Where the learned
 * preference of the token in its (already rewritten) context reaches
 * `threshold`, put the attacker model's most likely candidate that is not
 * favoured instead; keep every other token. `positions` instead replaces
 * exactly those positions (the blind baseline: as many edits, at random).
 */
export function scrub(gen: Generator, learned: Learned | null, prompt: number[], answer: ArrayLike<number>, o: { threshold: number; positions?: Set<number> }): { ids: Uint32Array; changed: number } {
  const context = [...prompt]
  const prefs = new Map<number, number>()
  let changed = 0
  for (let i = 0; i < answer.length; i++) {
    const t = answer[i]
    let replace = false
    if (o.positions) replace = o.positions.has(i)
    else if (learned) replace = (preferences(learned, context, prefs).get(t) ?? 0) >= o.threshold
    let next = t
    if (replace) {
      for (const c of gen.candidates(context)) {
        if (c.id === t) continue
        if (!o.positions && learned && (prefs.get(c.id) ?? 0) >= o.threshold) continue
        next = c.id
        break
      }
    }
    if (next !== t) changed++
    context.push(next)
  }
  return { ids: Uint32Array.from(context.slice(prompt.length)), changed }
}

/** Perplexity of a continuation under a model, given its prompt. */
export function continuationPerplexity(model: NgramModel, prompt: number[], ids: ArrayLike<number>): number {
  const context = [...prompt]
  let sum = 0
  for (let i = 0; i < ids.length; i++) {
    sum += logProb(model, context, ids[i])
    context.push(ids[i])
  }
  return Math.exp(-sum / Math.max(1, ids.length))
}
