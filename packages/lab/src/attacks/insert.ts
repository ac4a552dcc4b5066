/**
 * Word insertion: add round(strength × nWords) words from COMMON_WORDS, each at a
 * different word boundary chosen uniformly (before word 0 … after the last word).
 * Inserted words are lowercase and separated by one space; existing text is untouched.
 */
import { COMMON_WORDS } from './lexicon.js'
import { countFor, createRng, pick, sampleIndices } from './rng.js'
import type { AttackResult } from './types.js'
import { findWords } from './words.js'

/**
 * Insert a `strength` fraction of common words into `text`.
 *
 * @param strength inserted words per original word, in [0, 1]; exactly
 *   round(strength × nWords) words are added, at distinct boundaries (there are
 *   nWords + 1, so they always suffice).
 * @param seed selects the boundaries and the words.
 * @returns the text and `changed`, the number of words inserted.
 */
export function insertWords(text: string, strength: number, seed: number): AttackResult {
  const words = findWords(text)
  const k = countFor(strength, words.length)
  if (k === 0) return { text, changed: 0 }
  const rng = createRng(seed, 'insert')
  const slots = sampleIndices(rng, words.length + 1, k)
  let out = ''
  let pos = 0
  for (const slot of slots) {
    const w = pick(rng, COMMON_WORDS)
    if (slot < words.length) {
      // before word `slot`: "w " right in front of it, after any opening quote
      out += text.slice(pos, words[slot].start) + w + ' '
      pos = words[slot].start
    } else {
      // after the last word, before its closing punctuation
      const end = words[words.length - 1].end
      out += text.slice(pos, end) + ' ' + w
      pos = end
    }
  }
  return { text: out + text.slice(pos), changed: k }
}
