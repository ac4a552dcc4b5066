/**
 * The scan plan: the inputs cut into pooling blocks of `blockSize` records,
 * each block a list of references (a byte range of a JSONL file, a row range
 * of a Parquet file, a text file) that the scan workers read and parse
 * themselves. The planner only looks for line ends (and reads Parquet
 * footers), so the main thread, or the distributed coordinator, never parses
 * or holds the documents, and shard jobs carry references, not text.
 *
 * A record is what a reader yields: a non-blank JSONL line (a document or a
 * bad line), a Parquet row, a text file, or an input error. Blocks are cut
 * every `blockSize` records across files, exactly where the sequential reader
 * would have cut them, so results do not depend on the worker count, and
 * `consumed` (records up to a block's end) is what a resume state stores.
 *
 * What cannot be read by range (compressed JSONL, standard input) is read here
 * and travels inline, as records with their text.
 */
import { open } from 'node:fs/promises'
import type { SourceRecord } from './types.js'
import { cannotRead } from './sources/errors.js'
import { listInputs, readFile, sourceSettings, type ReadSourcesOptions, type Settings } from './sources/index.js'
import { parquetGroups } from './sources/parquet.js'
import type { Piece } from './sources/piece.js'
import { isS3, s3Bytes, type ListedObject } from './sources/s3.js'
import { STDIN } from './sources/stream.js'

export type { Piece }

export interface PlannedBlock {
  pieces: Piece[]
  /** Records in the inputs up to the end of this block (what a resume state stores). */
  consumed: number
}

const LF = 0x0a
const CR = 0x0d
const isSpace = (b: number) => b === 0x20 || b === 0x09 || b === CR || b === 0x0b || b === 0x0c
/** Planner read size: large reads keep the line search at memory speed. */
const CHUNK = 1 << 20

/**
 * The bytes of an uncompressed file in large reads into one reused buffer (the
 * planner reads every byte of a JSONL corpus: no garbage per read), or of an
 * object as the store streams it.
 */
async function* planReads(file: string): AsyncGenerator<Uint8Array> {
  if (isS3(file)) {
    yield* s3Bytes(file)
    return
  }
  const handle = await open(file, 'r')
  try {
    const buf = new Uint8Array(CHUNK)
    for (let offset = 0; ; ) {
      const { bytesRead } = await handle.read(buf, 0, CHUNK, offset)
      if (bytesRead === 0) return
      yield buf.subarray(0, bytesRead)
      offset += bytesRead
    }
  } finally {
    await handle.close()
  }
}

/** Record lines the planner hands on at a time. */
const LINE_BATCH = 1024

/** Where a JSONL record line ends: the byte after its LF (or the end of the file), and its line number. */
interface RecordLine {
  end: number
  line: number
}

/**
 * The record lines of an uncompressed JSONL file, by the rules of readJsonl:
 * every line counts except one of only ASCII whitespace within `maxBytes`
 * (a longer line is one record, reported as too long by the reader). They come
 * in batches of up to {@link LINE_BATCH}: a step of an async generator per line cost
 * the main thread ~1.3 us each, more than finding the line.
 */
async function* recordLines(file: string, maxBytes: number): AsyncGenerator<RecordLine[]> {
  let offset = 0 // file offset of view[0]
  let lineStart = 0
  let nonBlank = false
  let lastByte = -1
  let line = 1
  const counts = (end: number) => {
    // The reader removes one trailing CR before it measures or blank-tests a line.
    const length = end - lineStart - (lastByte === CR && end > lineStart ? 1 : 0)
    return nonBlank || length > maxBytes
  }
  for await (const view of planReads(file)) {
    const bytesRead = view.length
    if (bytesRead === 0) continue
    let found: RecordLine[] = []
    let pos = 0
    while (pos < bytesRead) {
      if (!nonBlank) {
        // Usually the first byte of a line ('{'): scan only while it is blank.
        while (pos < bytesRead && view[pos] !== LF && isSpace(view[pos])) pos++
        if (pos < bytesRead && view[pos] !== LF) nonBlank = true
      }
      const nl = view.indexOf(LF, pos)
      if (nl < 0) {
        lastByte = view[bytesRead - 1]
        break
      }
      if (nl > 0) lastByte = view[nl - 1]
      if (counts(offset + nl)) {
        found.push({ end: offset + nl + 1, line })
        // A read of short lines (a file of 1-byte records) holds ~500k: handed on in
        // batches, they die young instead of filling the heap (+67 MiB of peak RSS).
        if (found.length === LINE_BATCH) {
          yield found
          found = []
        }
      }
      line++
      nonBlank = false
      lastByte = -1
      lineStart = offset + nl + 1
      pos = nl + 1
    }
    offset += bytesRead
    if (found.length > 0) yield found
  }
  // A last line without a newline.
  if (offset > lineStart && counts(offset)) yield [{ end: offset, line }]
}

/**
 * The blocks of a scan, in order, after the first `skip` records (a resumed
 * scan's completed blocks). Lazy: a block is planned when the scan asks for it.
 */
export async function* planBlocks(inputs: string[], source: ReadSourcesOptions, blockSize: number, skip = 0): AsyncGenerator<PlannedBlock> {
  const settings = sourceSettings(source)
  let position = 0 // records seen, skipped ones included
  let pieces: Piece[] = []
  let count = 0
  let inline: SourceRecord[] | null = null
  // Adds `n` records to the block through `piece`; the caller splits pieces so a block never overflows.
  const add = (piece: Piece, n: number) => {
    if (piece.kind === 'records' && inline) inline.push(...piece.records)
    else {
      pieces.push(piece)
      inline = piece.kind === 'records' ? piece.records : null
    }
    count += n
    position += n
  }
  const full = () => count >= blockSize
  const cut = (): PlannedBlock => {
    const b = { pieces, consumed: position }
    pieces = []
    count = 0
    inline = null
    return b
  }
  const record = function* (r: SourceRecord) {
    if (position < skip) position++
    else {
      add({ kind: 'records', records: [r] }, 1)
      if (full()) yield cut()
    }
  }

  for await (const f of listInputs(inputs, source.format, source.skip, source.list)) {
    if (f.error !== undefined) {
      yield* record(f)
      continue
    }
    // Standard input and compressed JSONL cannot be read by range (nor Parquet, whose reader names the problem).
    if (f.file === STDIN || (f.format !== 'text' && f.compression)) {
      for await (const r of readFile(f, settings)) yield* record(r)
      continue
    }
    if (f.format === 'text') {
      if (position < skip) position++
      else {
        add({ kind: 'text', file: f.file }, 1)
        if (full()) yield cut()
      }
      continue
    }
    if (f.format === 'parquet') {
      yield* planParquet(f.file, settings, f.object)
      continue
    }
    // Uncompressed JSONL: cut at the line ends where the block fills.
    let start = 0
    let firstLine = 1
    let n = 0
    let lastEnd = 0
    try {
      for await (const found of recordLines(f.file, settings.maxBytes)) {
        for (const l of found) {
          if (position < skip) {
            position++
            start = l.end
            firstLine = l.line + 1
            continue
          }
          n++
          lastEnd = l.end
          if (count + n >= blockSize) {
            add({ kind: 'lines', file: f.file, start, end: l.end, firstLine }, n)
            yield cut()
            start = l.end
            firstLine = l.line + 1
            n = 0
          }
        }
      }
    } catch (e) {
      // The worker's reader reports it where the file fails (one record, as readJsonl does).
      if (n > 0) add({ kind: 'lines', file: f.file, start, end: lastEnd, firstLine }, n)
      n = 0
      yield* record({ file: f.file, error: cannotRead(e) })
      continue
    }
    if (n > 0) add({ kind: 'lines', file: f.file, start, end: lastEnd, firstLine }, n)
  }
  if (count > 0) yield cut()

  async function* planParquet(file: string, s: Settings, object?: ListedObject): AsyncGenerator<PlannedBlock> {
    const groups = await parquetGroups(file, s.segments[0], object)
    if (typeof groups === 'string') {
      yield* record({ file, error: groups })
      return
    }
    let groupStart = 0
    for (const rows of groups) {
      let at = groupStart
      const end = groupStart + rows
      groupStart = end
      if (position < skip) {
        const skipped = Math.min(skip - position, end - at)
        position += skipped
        at += skipped
      }
      while (at < end) {
        const take = Math.min(end - at, blockSize - count)
        add({ kind: 'rows', file, rowStart: at, rowEnd: at + take, ...(object ? { object } : {}) }, take)
        at += take
        if (full()) yield cut()
      }
    }
  }
}
