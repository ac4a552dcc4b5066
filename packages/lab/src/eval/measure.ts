/**
 * Detection measurements on one generated document, as an investigator makes them: the
 * continuation is decoded to text, and `detect` normalizes and re-tokenizes it.
 */
import { detect, getTokenizer } from '@tracemark/detector'
import type { Watermarker } from '@tracemark/watermark'
import { applyAttack, type AttackCondition } from './attack-plan.js'

function fnv1a(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
  return h >>> 0
}

const tok = () => getTokenizer('cl100k_base')

/** log10 p-value of a text (normalized unless told otherwise) under a key. */
export function log10p(text: string, wm: Watermarker, normalize = true): number {
  return detect(text, wm, normalize ? {} : { normalize: false }).log10PValue
}

/** Text of the first `k` generated tokens. */
export function prefixText(ids: Uint32Array, k: number): string {
  return tok().decode(ids.subarray(0, Math.min(k, ids.length)))
}

export interface DocumentMeasures {
  /** log10 p of the clean prefix, per length. */
  readonly clean: number[]
  /** log10 p per attack condition id, per length (the attack applied to that prefix's text). */
  readonly attacked: Record<string, number[]>
  /** Smallest prefix (step `step`) with p < `needAlpha`; null when none up to the full length. */
  readonly needed: number | null
  /** Unique tuples scored in the full clean text. */
  readonly scored: number
}

/**
 * Measures one document: clean p-values at each prefix length, the tokens needed for
 * p < needAlpha, and every text attack applied to each prefix's text.
 */
export function measureDocument(
  wm: Watermarker,
  ids: Uint32Array,
  lengths: readonly number[],
  conditions: readonly AttackCondition[],
  attackSeed: number,
  humanText: string,
  step = 10,
  needAlpha = 1e-6,
): DocumentMeasures {
  const texts = lengths.map((L) => prefixText(ids, L))
  const clean = texts.map((t) => log10p(t, wm))
  const full = detect(prefixText(ids, ids.length), wm)
  let needed: number | null = null
  const lim = Math.log10(needAlpha)
  for (let k = step; k <= ids.length; k += step) {
    if (log10p(prefixText(ids, k), wm) < lim) {
      needed = k
      break
    }
  }
  const attacked: Record<string, number[]> = {}
  for (const c of conditions) {
    if (c.generation) continue
    // The seed depends on the attack and strength, not on the normalization flag: the
    // ":raw" diagnostic row sees exactly the same attacked text as its normalized row.
    const base = (attackSeed ^ fnv1a(`${c.attack}@${c.strength}`)) >>> 0
    attacked[c.id] = texts.map((t, li) => log10p(applyAttack(c, t, (base + li * 104_729) >>> 0, humanText), wm, c.normalize))
  }
  return { clean, attacked, needed, scored: full.scored }
}
