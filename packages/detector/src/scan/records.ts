import { readSources, type ReadSourcesOptions } from './sources/index.js'
import type { BlockEntry } from './block.js'
import type { SourceRecord } from './types.js'

/** A source record with its document index (documents only). */
export type IndexedRecord = SourceRecord & { index?: number }

/**
 * The inputs' records in order, each readable document numbered from `firstIndex`.
 * The first `skip` records (documents and errors a resumed scan already emitted)
 * are passed over unnumbered. Every scan path numbers documents this way.
 */
export async function* indexedRecords(inputs: string[], source: ReadSourcesOptions, skip = 0, firstIndex = 0): AsyncGenerator<IndexedRecord> {
  let index = firstIndex
  for await (const rec of readSources(inputs, source)) {
    if (skip > 0) {
      skip--
      continue
    }
    yield rec.error === undefined ? { ...rec, index: index++ } : rec
  }
}

/**
 * The NDJSON lines of one scored block, in input order: error records as they
 * were read, documents numbered from `firstIndex` (the documents emitted before
 * the block) with `detected` (p < alpha). The local and the distributed scan
 * both emit exactly these lines.
 */
export function blockLines(entries: BlockEntry[], firstIndex: number, alpha: number): string[] {
  const lines: string[] = []
  const level = Math.log10(alpha)
  for (const e of entries) {
    if (e.type === 'error') {
      lines.push(JSON.stringify({ type: 'error', file: e.file, line: e.line, row: e.row, reason: e.reason }))
    } else {
      const { bytes, ...r } = e
      r.index += firstIndex
      r.detected = r.log10PValue < level
      // `bytes` last, where the records have always had it.
      lines.push(JSON.stringify({ ...r, bytes }))
    }
  }
  return lines
}
