import { scoreTokens, type Watermarker } from '@tracemark/watermark'
import { uniqueScores } from '../../detect.js'
import { bestStream } from '../../nonces.js'
import type { Tokenizer } from '../../text/tokenizer.js'

/**
 * One piece of a document's text for the HTML report: `mark` is 1 when the token
 * scored as watermark evidence (above its null mean), 0 when it was scored but is
 * not evidence, and null when it was not scored (the first h tokens, whose context
 * window is incomplete, or a repeat of a (context, token) tuple already counted).
 */
export interface ReportPiece {
  text: string
  mark: 0 | 1 | null
}

/** Longest run of tokens merged to decode one split UTF-8 character cleanly. */
const MAX_GROUP = 16

/** Whether one tuple's score lies above its null mean, i.e. counts as evidence. */
function isEvidence(wm: Watermarker, score: number): boolean {
  const spec = wm.spec
  switch (spec.scheme) {
    case 'kgw':
    case 'unigram':
      return score >= 1 // green
    case 'synthid':
      return score > spec.depth / 2 // more than half of the g-bits set
    case 'gumbel':
      return score > 1 // Exp(1) under the null
  }
}

/**
 * Cuts `text` (used as given: pass the same normalized text the scorer tokenized)
 * into per-token pieces marked by `wm`'s score. Tokens that split a multi-byte
 * UTF-8 character are merged with their neighbours until the group decodes
 * cleanly; a group's mark is the highest of its tokens' (null counts lowest).
 * The pieces concatenate to `tok.decode(tok.encode(text))`.
 */
export function markedPieces(wm: Watermarker, tok: Tokenizer, text: string): ReportPiece[] {
  const ids = tok.encode(text)
  if (ids.length === 0) return []
  const marks: Array<0 | 1 | null> = new Array(ids.length).fill(null)
  const s = scoreTokens(wm, ids)
  // Gumbel keys with nonces: mark by the stream the test found best.
  let nonce = 0
  if (s.streamScore) {
    const u = uniqueScores(s)
    nonce = bestStream(wm.spec, u.n, u.sums).nonce
  }
  const seen = new Set<number>()
  for (let i = 0; i < s.count; i++) {
    const t = s.tuple[i]
    if (seen.has(t)) continue // repeats carry no new evidence: left unscored
    seen.add(t)
    marks[s.position[i]] = isEvidence(wm, s.streamScore ? s.streamScore(i, nonce) : s.score[i]) ? 1 : 0
  }

  const full = tok.decode(ids)
  const pieces: ReportPiece[] = []
  let offset = 0
  let aligned = true // pieces so far reproduce `full` exactly
  let start = 0
  while (start < ids.length) {
    let end = start + 1
    let piece = tok.decode(ids.subarray(start, end))
    // Clean: the piece is exactly the next stretch of the whole decoded text (a split
    // character shows up as U+FFFD, which differs from the real character there).
    const clean = (p: string) => (aligned ? full.startsWith(p, offset) : !p.endsWith('\uFFFD'))
    while (!clean(piece) && end < ids.length && end - start < MAX_GROUP) {
      end++
      piece = tok.decode(ids.subarray(start, end))
    }
    if (end === ids.length && aligned && !clean(piece)) piece = full.slice(offset)
    if (aligned && !full.startsWith(piece, offset)) aligned = false
    let mark: 0 | 1 | null = null
    for (let i = start; i < end; i++) {
      const m = marks[i]
      if (m !== null && (mark === null || m > mark)) mark = m
    }
    const last = pieces[pieces.length - 1]
    if (piece.length > 0) pieces.push({ text: piece, mark })
    else if (last && mark !== null && (last.mark === null || mark > last.mark)) last.mark = mark
    offset += piece.length
    start = end
  }
  return pieces
}
