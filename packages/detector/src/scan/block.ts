/**
 * One pooling block, scored where it is read: a scan worker reads the block's
 * pieces itself, scores every document, and sends back only small records.
 */
import type { PooledPart, Scorer } from './document.js'
import { shorten } from './sources/errors.js'
import type { Settings } from './sources/index.js'
import { readPiece, type Piece } from './sources/piece.js'
import { strongestDocuments } from './report/strongest.js'
import type { DocumentResult, ScanError } from './types.js'

/** A block's records in input order: input errors, and documents numbered from 0 within the block. */
export type BlockEntry = ({ type: 'error' } & ScanError) | DocumentResult

export interface BlockOutput {
  entries: BlockEntry[]
  /** The block's pooled evidence (closed at the block's end). */
  parts: PooledPart[]
  /** [block-local index, text] of the block's strongest documents, for the HTML report. */
  texts: Array<[number, string]>
}

/**
 * Reads and scores a block. A document whose scoring throws (a tokenizer
 * failing on pathological text) becomes an error record at its location and
 * the block goes on, so one document can neither stop a scan nor stop it again
 * on resume. `keepTexts` > 0 returns that many strongest documents' texts: the
 * corpus's strongest are among its blocks' strongest.
 */
export async function scoreBlock(pieces: Piece[], scorer: Scorer, s: Settings, keepTexts = 0): Promise<BlockOutput> {
  const entries: BlockEntry[] = []
  const kept = strongestDocuments<{ r: DocumentResult; text: string }>(keepTexts)
  let index = 0
  for (const piece of pieces) {
    for await (const rec of readPiece(piece, s)) {
      const where = { file: rec.file, line: rec.line, row: rec.row }
      if (rec.error !== undefined) {
        entries.push({ type: 'error', ...where, reason: rec.error })
        continue
      }
      let r: DocumentResult
      try {
        r = scorer.score(rec.text, where, index)
      } catch (e) {
        entries.push({ type: 'error', ...where, reason: `cannot score: ${shorten(String((e as Error)?.message ?? e), 80)}` })
        continue
      }
      index++
      r.bytes = Buffer.byteLength(rec.text)
      entries.push(r)
      if (keepTexts > 0) kept.keep({ r, text: rec.text })
    }
  }
  return { entries, parts: scorer.pooled(), texts: keepTexts > 0 ? kept.list().map((k) => [k.r.index, k.text]) : [] }
}
