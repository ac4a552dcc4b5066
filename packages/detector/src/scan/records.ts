import { readSources, type ReadSourcesOptions } from './sources/index.js'
import type { BlockEntry } from './block.js'
import type { DocumentResult, ScanError, SourceRecord } from './types.js'

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

/** One record of a scored block as its NDJSON line holds it: an input error or a document. */
export type OutputRecord = ({ type: 'error' } & ScanError) | DocumentResult

/**
 * The records of one scored block, in input order: error records as they were
 * read, documents numbered from `firstIndex` (the documents emitted before the
 * block) with `detected` (p < alpha). Each record's JSON is its output line; the
 * local and the distributed scan both emit exactly these.
 */
export function blockRecords(entries: BlockEntry[], firstIndex: number, alpha: number): OutputRecord[] {
  const records: OutputRecord[] = []
  const level = Math.log10(alpha)
  for (const e of entries) {
    if (e.type === 'error') {
      records.push({ type: 'error', file: e.file, line: e.line, row: e.row, reason: e.reason })
    } else {
      // A fresh object of one fixed shape (the fields of DocumentResult in scoreIds'
      // order, `bytes` last, where the records have always had it): JSON.stringify of
      // it ran 2-4x faster than of a copy made by spreading the worker's record.
      records.push({
        type: 'document',
        file: e.file,
        line: e.line,
        row: e.row,
        index: e.index + firstIndex,
        tokens: e.tokens,
        scored: e.scored,
        keyId: e.keyId,
        pValue: e.pValue,
        log10PValue: e.log10PValue,
        detected: e.log10PValue < level,
        span: e.span,
        attribution: e.attribution,
        bytes: e.bytes,
      })
    }
  }
  return records
}
