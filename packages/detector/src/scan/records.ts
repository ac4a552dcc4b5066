import { readSources, type ReadSourcesOptions } from './sources/index.js'
import type { DocumentResult, SourceRecord } from './types.js'

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
 * The NDJSON lines of one block, in input order: error records as they were read,
 * document results with `detected` (p < alpha) and the text's UTF-8 size. The local
 * and the distributed scan both emit exactly these lines.
 */
export function blockLines(records: IndexedRecord[], results: DocumentResult[], alpha: number): string[] {
  const byIndex = new Map(results.map((r) => [r.index, r]))
  const lines: string[] = []
  for (const rec of records) {
    if (rec.error !== undefined) {
      lines.push(JSON.stringify({ type: 'error', file: rec.file, line: rec.line, row: rec.row, reason: rec.error }))
    } else {
      const r = byIndex.get(rec.index!)!
      r.detected = r.log10PValue < Math.log10(alpha)
      r.bytes = Buffer.byteLength(rec.text)
      lines.push(JSON.stringify(r))
    }
  }
  return lines
}
