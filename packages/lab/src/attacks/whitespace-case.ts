/**
 * Whitespace and case attack: change the capitalisation of some words and the spacing
 * between them. Meaning is intact, but BPE tokenizers give "The", "the", "THE" and
 * " the" / "  the" / "\nthe" different ids, so every edit changes tokens (and the
 * contexts that seed the next ones).
 */
import { countFor, createRng, sampleIndices } from './rng.js'
import type { AttackResult } from './types.js'
import { applyCase, caseShape, findWords } from './words.js'

/** The case change applied to a word: lower → Title → UPPER → lower (mixed → lower). */
export function cycleCase(word: string): string {
  switch (caseShape(word)) {
    case 'lower':
      return applyCase(word, 'title')
    case 'title':
      // a one-letter Title word ("I", "A") is already UPPER: go to lower instead
      return Array.from(word).length > 1 ? applyCase(word, 'upper') : word.toLowerCase()
    case 'upper':
    case 'mixed':
      return word.toLowerCase()
    default:
      return word
  }
}

/**
 * Re-case a `strength` fraction of the words and re-space a `strength` fraction of the
 * spaces.
 *
 * @param strength in [0, 1]: round(strength × nCasedWords) words (words with at least one
 *   cased letter) get `cycleCase`, and round(strength × nSpaces) U+0020 spaces become a
 *   double space or, one time in four, a newline.
 * @param seed selects the words, the spaces and space-vs-newline.
 * @returns the text and `changed`, words re-cased plus spaces changed.
 */
export function whitespaceCaseAttack(text: string, strength: number, seed: number): AttackResult {
  const words = findWords(text).filter((w) => caseShape(w.text) !== 'none')
  const spaces: number[] = []
  for (let i = 0; i < text.length; i++) if (text[i] === ' ') spaces.push(i)
  const kWords = countFor(strength, words.length)
  const kSpaces = countFor(strength, spaces.length)
  if (kWords + kSpaces === 0) return { text, changed: 0 }
  const rng = createRng(seed, 'whitespace-case')
  const recase = new Set(sampleIndices(rng, words.length, kWords))
  const respace = new Map<number, string>()
  for (const j of sampleIndices(rng, spaces.length, kSpaces)) respace.set(spaces[j], rng() < 0.25 ? '\n' : '  ')
  // One pass over the original: words never contain spaces, so the two edits never overlap.
  let out = ''
  let w = 0
  for (let i = 0; i < text.length; ) {
    if (w < words.length && words[w].start === i) {
      out += recase.has(w) ? cycleCase(words[w].text) : words[w].text
      i = words[w++].end
    } else {
      out += respace.get(i) ?? text[i]
      i++
    }
  }
  return { text: out, changed: kWords + kSpaces }
}
