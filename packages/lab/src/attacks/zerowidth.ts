/**
 * Zero-width attack: insert invisible characters (U+200B ZERO WIDTH SPACE, U+200C ZERO
 * WIDTH NON-JOINER, U+2060 WORD JOINER, U+FEFF ZERO WIDTH NO-BREAK SPACE) inside the
 * text. The text looks unchanged, but "wa\u200Btermark" tokenizes nothing like
 * "watermark"; the detector's normalizer is expected to strip them.
 */
import { countFor, createRng, pick, sampleIndices } from './rng.js'
import type { AttackResult } from './types.js'

/** The invisible characters inserted, drawn uniformly. */
export const ZERO_WIDTH: readonly string[] = ['\u200b', '\u200c', '\u2060', '\ufeff']

/**
 * Insert a zero-width character after a `strength` fraction of the characters.
 *
 * @param strength fraction of characters (code points, so surrogate pairs are never
 *   split) followed by an insertion, in [0, 1]: exactly round(strength × nCodePoints).
 * @param seed selects the positions and the characters.
 * @returns the text and `changed`, the number of characters inserted.
 */
export function zeroWidthAttack(text: string, strength: number, seed: number): AttackResult {
  const cps = Array.from(text)
  const k = countFor(strength, cps.length)
  if (k === 0) return { text, changed: 0 }
  const rng = createRng(seed, 'zerowidth')
  for (const i of sampleIndices(rng, cps.length, k)) cps[i] += pick(rng, ZERO_WIDTH)
  return { text: cps.join(''), changed: k }
}
