/**
 * Pieces: references to records (a byte range of a JSONL file, a row range of
 * a Parquet file, a text file) that a scan worker reads itself, and records
 * that travel inline because they cannot be read by range.
 */
import type { SourceRecord } from '../types.js'
import { detectFormat, type Settings } from './index.js'
import { readJsonl } from './jsonl.js'
import { readParquet } from './parquet.js'
import { rangeBytes } from './stream.js'
import type { ListedObject } from './s3.js'
import { readText } from './text.js'

export type Piece =
  /** Bytes [start, end) of an uncompressed JSONL file, starting at line `firstLine`. */
  | { kind: 'lines'; file: string; start: number; end: number; firstLine: number }
  /**
   * Rows [rowStart, rowEnd) of a Parquet file, within one row group. `object`: an
   * `s3://` object's size and ETag from the scan's listing, so that a worker neither
   * asks the store for the size nor reads the footer again for every block.
   */
  | { kind: 'rows'; file: string; rowStart: number; rowEnd: number; object?: ListedObject }
  /** A whole text file (one document; compression from its name). */
  | { kind: 'text'; file: string }
  /** Records read by the planner: input errors, and inputs that cannot be read by range. */
  | { kind: 'records'; records: SourceRecord[] }

/** The records of a piece, in order, with the same locations and errors the sequential reader gives. */
export async function* readPiece(p: Piece, s: Settings): AsyncGenerator<SourceRecord> {
  if (p.kind === 'lines') yield* readJsonl(p.file, rangeBytes(p.file, p.start, p.end), s.field, s.segments, s.maxBytes, p.firstLine)
  else if (p.kind === 'rows') yield* readParquet(p.file, s.field, s.segments, s.maxBytes, p)
  else if (p.kind === 'text') yield await readText(p.file, detectFormat(p.file).compression, s.maxBytes)
  else yield* p.records
}
