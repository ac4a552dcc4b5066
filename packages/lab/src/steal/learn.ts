import { prob, type NgramModel } from '../model/ngram.js'

/**
 * What the attacker learns from watermarked answers (Jovanović et al. 2024,
 * "Watermark Stealing in Large Language Models"): which tokens are more frequent
 * in the watermarked answers than its own model predicts, and in which contexts.
 * Three views of the context, because the attacker knows the public spec (the
 * context width h) but not how the scheme mixes the window:
 *
 * - the exact window (the last h tokens): the expected count of token t is the
 *   number of times the window was seen times the attacker model's p(t | window);
 * - each single token of the window, position ignored (what leaks from SelfHash,
 *   whose seed is one token of the window): frequencies against the attacker's
 *   own answers to the same prompts;
 * - no context (what leaks from a fixed green list): token frequencies, likewise.
 *
 * Each view gives a score in [0, CAP] (a clipped log frequency ratio); a token's
 * learned preference in a context is their sum.
 */
export interface StealCounts {
  h: number
  /** window key -> token -> count, and window key -> occurrences. */
  window: Map<string, Map<number, number>>
  windowTotal: Map<string, number>
  /** single context token -> next token -> count (watermarked answers, then the attacker's own). */
  single: [Map<number, Map<number, number>>, Map<number, Map<number, number>>]
  singleTotal: [Map<number, number>, Map<number, number>]
  unigram: [Map<number, number>, Map<number, number>]
  unigramTotal: [number, number]
}

export function createCounts(h: number): StealCounts {
  return { h, window: new Map(), windowTotal: new Map(), single: [new Map(), new Map()], singleTotal: [new Map(), new Map()], unigram: [new Map(), new Map()], unigramTotal: [0, 0] }
}

const inc = <K>(m: Map<K, number>, k: K, by = 1) => m.set(k, (m.get(k) ?? 0) + by)
const incIn = <K>(m: Map<K, Map<number, number>>, k: K, t: number) => {
  let x = m.get(k)
  if (!x) m.set(k, (x = new Map()))
  inc(x, t)
}

/** Counts one answer (prompt + continuation ids): `watermarked` answers from the endpoint, else the attacker's own. */
export function countAnswer(c: StealCounts, prompt: ArrayLike<number>, answer: ArrayLike<number>, watermarked: boolean): void {
  const all = [...Array.from(prompt), ...Array.from(answer)]
  const side = watermarked ? 0 : 1
  const h = Math.max(1, c.h)
  for (let i = prompt.length; i < all.length; i++) {
    const t = all[i]
    inc(c.unigram[side], t)
    c.unigramTotal[side]++
    if (i < h) continue
    const seen = new Set<number>()
    for (let j = i - h; j < i; j++) {
      const u = all[j]
      if (seen.has(u)) continue
      seen.add(u)
      incIn(c.single[side], u, t)
      inc(c.singleTotal[side], u)
    }
    if (watermarked && c.h > 0) {
      const w = all.slice(i - h, i).join(',')
      incIn(c.window, w, t)
      inc(c.windowTotal, w)
    }
  }
}

/** Largest score of one view. */
const CAP = 2

/** The learned preferences, indexed for generation: favoured tokens per window, per single token, and overall. */
export interface Learned {
  h: number
  window: Map<string, Array<[number, number]>>
  single: Map<number, Array<[number, number]>>
  unigram: Array<[number, number]>
}

const clip = (x: number) => (x > CAP ? CAP : x)

/**
 * Turns counts into scores. `model` is the attacker's own (unwatermarked) model;
 * its conditional probabilities are the baseline of the window view.
 */
export function learn(c: StealCounts, model: NgramModel): Learned {
  const window = new Map<string, Array<[number, number]>>()
  for (const [w, tokens] of c.window) {
    const n = c.windowTotal.get(w)!
    const ctx = w.split(',').map(Number)
    const fav: Array<[number, number]> = []
    for (const [t, k] of tokens) {
      const s = Math.log((k + 0.1) / (n * prob(model, ctx, t) + 0.1))
      if (s > 0) fav.push([t, clip(s)])
    }
    if (fav.length) window.set(w, fav)
  }
  const single = new Map<number, Array<[number, number]>>()
  for (const [u, tokens] of c.single[0]) {
    const n = c.singleTotal[0].get(u)!
    const base = c.single[1].get(u)
    const nb = c.singleTotal[1].get(u) ?? 0
    const fav: Array<[number, number]> = []
    for (const [t, k] of tokens) {
      if (k < 2) continue // one sighting is noise
      const s = Math.log((k / n) / (((base?.get(t) ?? 0) + 1) / (nb + 1)))
      if (s > 0) fav.push([t, clip(s)])
    }
    if (fav.length) single.set(u, fav)
  }
  const unigram: Array<[number, number]> = []
  const [nw, nb] = c.unigramTotal
  for (const [t, k] of c.unigram[0]) {
    if (k < 5) continue
    const s = Math.log((k / nw) / (((c.unigram[1].get(t) ?? 0) + 1) / (nb + 1)))
    if (s > 0) unigram.push([t, clip(s)])
  }
  return { h: c.h, window, single, unigram }
}

/**
 * The learned preference of every favoured token after `context`: the window
 * score, the mean of the single-token scores over the window, and the
 * context-free score, summed.
 */
export function preferences(l: Learned, context: readonly number[], into = new Map<number, number>()): Map<number, number> {
  into.clear()
  for (const [t, s] of l.unigram) into.set(t, s)
  const h = Math.max(1, l.h)
  if (context.length < h) return into
  const win = context.slice(context.length - h)
  const seen = new Set<number>()
  for (const u of win) {
    if (seen.has(u)) continue
    seen.add(u)
    for (const [t, s] of l.single.get(u) ?? []) inc(into, t, s / h)
  }
  if (l.h > 0) for (const [t, s] of l.window.get(win.join(',')) ?? []) inc(into, t, s)
  return into
}
