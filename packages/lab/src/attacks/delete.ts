/**
 * Word deletion: remove round(strength × nWords) words chosen uniformly without
 * replacement. Punctuation stays; of the whitespace around a removed word only one run
 * is kept, so "the old man." minus "old" is "the man." and minus "man" is "the old.".
 */
import { countFor, createRng, sampleIndices } from './rng.js'
import type { AttackResult } from './types.js'
import { findWords } from './words.js'

const OPENERS = /["'(\[{\u201c\u2018]$/
const CLOSERS = /^[.,;:!?)\]}\u201d\u2019"']/

/**
 * Join the gap before a deleted word (`left`; '' at text start) with the gap after it
 * (`right`; '' at text end), keeping one of the two whitespace runs at the seam:
 * - after an opening bracket/quote or at the text start, the left one ("(old man)" → "(man)");
 * - before closing punctuation or at the text end, the right one ("old man." → "old.");
 * - otherwise the one with a line break, so paragraphs survive, else the left one.
 */
function joinGaps(left: string, right: string, atStart: boolean, atEnd: boolean): string {
  const lWs = /\s*$/.exec(left)![0]
  const lBody = left.slice(0, left.length - lWs.length)
  const rWs = /^\s*/.exec(right)![0]
  const rBody = right.slice(rWs.length)
  let seam: string
  if ((atStart && lBody === '') || OPENERS.test(lBody)) seam = lWs
  else if ((atEnd && rBody === '') || CLOSERS.test(rBody)) seam = rWs
  else if (rWs.includes('\n') && !lWs.includes('\n')) seam = rWs
  else seam = lWs || rWs
  return lBody + seam + rBody
}

/**
 * Delete a `strength` fraction of the words of `text`.
 *
 * @param strength fraction of words to delete, in [0, 1]; exactly round(strength × nWords).
 * @param seed selects which words.
 * @returns the text and `changed`, the number of words deleted.
 */
export function deleteWords(text: string, strength: number, seed: number): AttackResult {
  const words = findWords(text)
  const k = countFor(strength, words.length)
  if (k === 0) return { text, changed: 0 }
  const gone = new Set(sampleIndices(createRng(seed, 'delete'), words.length, k))
  let out = ''
  let gap = text.slice(0, words.length ? words[0].start : text.length) // pending gap before word i
  let emitted = false
  for (let i = 0; i < words.length; i++) {
    const next = text.slice(words[i].end, i + 1 < words.length ? words[i + 1].start : text.length)
    if (gone.has(i)) {
      gap = joinGaps(gap, next, !emitted, i + 1 === words.length)
    } else {
      out += gap + words[i].text
      emitted = true
      gap = next
    }
  }
  return { text: out + gap, changed: k }
}
