/**
 * Copy-paste attack: a contiguous span of watermarked text pasted into human text, the
 * way a user quotes model output inside their own writing. Detection then has to find a
 * short watermarked island in a mostly unwatermarked document.
 *
 * Strength is the human share of the result's words: with strength s the document has
 * h human words and m watermarked ones, h = round(s × (h + m)). The document is made as
 * long as both sources allow (all of the watermarked text at s = 0, all of the human text
 * at s = 1), so at 0.75 a 100-word watermarked text becomes a 25-word span inside 75
 * human words if the human text has them, or a shorter span if it does not.
 */
import { checkStrength, createRng, randInt } from './rng.js'
import type { AttackResult } from './types.js'
import { extendLeft, extendRight, findWords, type Word } from './words.js'

/** Result of `copyPasteIntoHuman`. `changed` is the number of human words added. */
export interface CopyPasteResult extends AttackResult {
  /** UTF-16 offsets [start, end) of the watermarked span in `text` ([0, 0] if empty). */
  readonly span: readonly [start: number, end: number]
  /** Words in the watermarked span. */
  readonly watermarkedWords: number
  /** Words of human text around it. */
  readonly humanWords: number
}

/** Text of words [from, from + count) of `text`, with the punctuation glued to either end. */
function window(text: string, words: readonly Word[], from: number, count: number): string {
  if (count === 0) return ''
  return text.slice(extendLeft(text, words[from].start), extendRight(text, words[from + count - 1].end))
}

/** Word counts (watermarked m, human h) for the longest document both sources allow. */
function sizes(nW: number, nH: number, s: number): [m: number, h: number] {
  if (s === 0) return [nW, 0]
  if (s === 1) return [0, nH]
  const total = Math.floor(Math.min(nW / (1 - s), nH / s))
  const h = Math.round(s * total)
  return [Math.min(nW, total - h), Math.min(nH, h)] // min(): only guards float rounding
}

/**
 * Paste a span of `watermarkedText` into a window of `humanText`.
 *
 * @param strength fraction of the result's words that are human, in [0, 1]; 0 returns
 *   the watermarked text alone (trimmed), 1 the human text alone.
 * @param seed selects the span, the human window and the insertion point.
 * @returns the document, the span's character offsets and both word counts.
 */
export function copyPasteIntoHuman(watermarkedText: string, humanText: string, strength: number, seed: number): CopyPasteResult {
  checkStrength(strength)
  const W = findWords(watermarkedText)
  const H = findWords(humanText)
  const [m, h] = sizes(W.length, H.length, strength)
  const rng = createRng(seed, 'copypaste')
  const span = window(watermarkedText, W, randInt(rng, W.length - m + 1), m)
  const hFrom = randInt(rng, H.length - h + 1)
  const human = window(humanText, H, hFrom, h)
  const result = (text: string, start: number): CopyPasteResult => ({
    text,
    changed: h,
    span: [start, start + span.length],
    watermarkedWords: m,
    humanWords: h,
  })
  if (m === 0) return { ...result(human, 0), span: [0, 0] }
  if (h === 0) return result(span, 0)
  // Insertion points: before or after the human window, or at a whitespace run between two
  // of its words (never inside "well-known"). The run is repeated on both sides, so a
  // paragraph break makes the span a paragraph of its own.
  const base = extendLeft(humanText, H[hFrom].start)
  const points: Array<[at: number, ws: string]> = []
  for (let j = 1; j < h; j++) {
    const gapStart = H[hFrom + j - 1].end
    const ws = /\s+/.exec(humanText.slice(gapStart, H[hFrom + j].start))
    if (ws) points.push([gapStart + ws.index - base, ws[0]])
  }
  const choice = randInt(rng, points.length + 2)
  if (choice === 0) return result(`${span} ${human}`, 0)
  if (choice === 1) return result(`${human} ${span}`, human.length + 1)
  const [at, ws] = points[choice - 2]
  return result(human.slice(0, at) + ws + span + ws + human.slice(at + ws.length), at + ws.length)
}
