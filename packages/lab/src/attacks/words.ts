/**
 * Word tokenization shared by the word-level attacks. A word is a run of letters, marks
 * and digits, with apostrophes allowed *inside* it ("don't", "Atlanta's") but not at its
 * edges, so quotes ('go') stay punctuation. Everything between words (spaces,
 * punctuation, newlines) is a "gap" that the attacks keep intact where they can.
 */

/** One word of a text and its UTF-16 offsets. */
export interface Word {
  readonly text: string
  readonly start: number
  readonly end: number
}

const WORD_RE = /[\p{L}\p{M}\p{N}]+(?:['\u2019][\p{L}\p{M}\p{N}]+)*/gu

/** The words of `text`, in order. */
export function findWords(text: string): Word[] {
  const out: Word[] = []
  for (const m of text.matchAll(WORD_RE)) out.push({ text: m[0], start: m.index!, end: m.index! + m[0].length })
  return out
}

/** Number of words in `text`. */
export function countWords(text: string): number {
  let n = 0
  for (const _ of text.matchAll(WORD_RE)) n++
  return n
}

/**
 * Whether the word starting at `start` opens a sentence: nothing but whitespace and
 * opening quotes/brackets since the text start, a sentence-final mark, or a line break.
 * Used to tell a capitalised sentence opener from a probable proper noun.
 */
export function isSentenceStart(text: string, start: number): boolean {
  for (let i = start - 1; i >= 0; i--) {
    const c = text[i]
    if (c === '\n' || c === '.' || c === '!' || c === '?' || c === ':') return true
    if (/[\s"'(\[\u201c\u2018]/.test(c)) continue
    return false
  }
  return true
}

/**
 * The end of the punctuation glued to a word's end (`sat.` `said,"`): from `end`
 * forward over characters that are neither whitespace nor part of a word. Used to
 * cut text after a word without orphaning its punctuation.
 */
export function extendRight(text: string, end: number): number {
  while (end < text.length && !/[\s\p{L}\p{M}\p{N}]/u.test(text[end])) end++
  return end
}

/** Mirror of `extendRight`: back over opening punctuation glued to a word's start. */
export function extendLeft(text: string, start: number): number {
  while (start > 0 && !/[\s\p{L}\p{M}\p{N}]/u.test(text[start - 1])) start--
  return start
}

/** The capitalisation pattern of a word. `mixed` covers "iPhone", `none` digits only. */
export type CaseShape = 'lower' | 'title' | 'upper' | 'mixed' | 'none'

/** Classify `word` by its letters' case (words with one cased letter count as title/lower). */
export function caseShape(word: string): CaseShape {
  const lower = word.toLowerCase()
  const upper = word.toUpperCase()
  if (lower === upper) return 'none'
  if (word === lower) return 'lower'
  const cps = Array.from(word)
  const head = cps[0]
  const tail = cps.slice(1).join('')
  if (word === upper && tail.toLowerCase() !== tail) return 'upper' // "NATO"; "A" is title
  if (head === head.toUpperCase() && tail === tail.toLowerCase()) return 'title'
  return 'mixed'
}

/** Write `word` (lowercase) in the given capitalisation pattern. */
export function applyCase(word: string, shape: CaseShape): string {
  switch (shape) {
    case 'upper':
      return word.toUpperCase()
    case 'title': {
      const cps = Array.from(word)
      return cps.length === 0 ? word : cps[0].toUpperCase() + cps.slice(1).join('').toLowerCase()
    }
    case 'lower':
      return word.toLowerCase()
    default:
      return word
  }
}

/**
 * Rebuild `text` with some words replaced: `replace(i)` returns the new text of word i,
 * or undefined to keep it. Gaps are copied verbatim.
 */
export function replaceWords(text: string, words: readonly Word[], replace: (i: number) => string | undefined): string {
  let out = ''
  let pos = 0
  for (let i = 0; i < words.length; i++) {
    const r = replace(i)
    if (r === undefined) continue
    out += text.slice(pos, words[i].start) + r
    pos = words[i].end
  }
  return out + text.slice(pos)
}
