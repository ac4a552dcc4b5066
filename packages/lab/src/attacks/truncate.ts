/**
 * Truncation: keep the beginning of the text, as when only an excerpt of a generation
 * is published. Measures how detection degrades with length alone.
 */
import { countFor } from './rng.js'
import type { AttackResult } from './types.js'
import { extendRight, findWords } from './words.js'

/**
 * Keep the first words of `text`, dropping the last round(strength × nWords). The cut is
 * after the last kept word and the punctuation glued to it ("… took place." keeps the
 * period). Deterministic: there is no seed.
 *
 * @param strength fraction of words removed from the end, in [0, 1]; 0 returns `text` unchanged.
 * @returns the text and `changed`, the number of words removed.
 */
export function truncate(text: string, strength: number): AttackResult {
  const words = findWords(text)
  const drop = countFor(strength, words.length)
  if (drop === 0) return { text, changed: 0 }
  const keep = words.length - drop
  return { text: keep === 0 ? '' : text.slice(0, extendRight(text, words[keep - 1].end)), changed: drop }
}
