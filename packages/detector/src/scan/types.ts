/**
 * Types shared by the corpus scanner's parts: sources (readers), scoring,
 * the summary, and the reports.
 */

/** Where a document came from: a file and a line (JSONL, text) or a row (Parquet). */
export interface Location {
  file: string
  /** 1-based line of a JSONL record. */
  line?: number
  /** 0-based row of a Parquet record. */
  row?: number
}

/** `file:line`, `file row N` or `file`: how every message and report names a record. */
export function describeLocation(l: Location): string {
  return l.line !== undefined ? `${l.file}:${l.line}` : l.row !== undefined ? `${l.file} row ${l.row}` : l.file
}

/** One unit of input: a document's text, or the reason it could not be read. */
export type SourceRecord = (Location & { text: string; error?: undefined }) | (Location & { text?: undefined; error: string })

/** The best watermarked span of a mixed document. */
export interface SpanResult {
  /** Token offsets [start, end) of the span within the document. */
  start: number
  end: number
  /** Character offsets [start, end) of the span in the document text. */
  charStart: number
  charEnd: number
  /** p-value of the span, corrected for the number of windows tried. */
  pValue: number
  log10PValue: number
}

/** One document's verdict (an NDJSON line with `"type":"document"`). */
export interface DocumentResult extends Location {
  type: 'document'
  /** 0-based position of the document in the scan (input order). */
  index: number
  /** UTF-8 bytes of the document's text. */
  bytes?: number
  tokens: number
  scored: number
  /** Key that gives the smallest p-value. */
  keyId: string
  /** p-value corrected for the number of keys (Bonferroni). */
  pValue: number
  log10PValue: number
  /** Flagged by the corpus-level FDR procedure (only known in the summary pass). */
  detected: boolean
  span: SpanResult | null
  attribution: { account: number; votes: number; pValue: number; log10PValue: number; accounts: number[] } | null
  /** Token ids scored as watermarked (for highlighting in the HTML report); omitted in NDJSON. */
  highlight?: Array<[number, number]>
}

/** An input problem, reported and skipped: nothing valid is lost. */
export interface ScanError extends Location {
  reason: string
}

/** The final NDJSON record (`"type":"summary"`). */
export interface ScanSummary {
  type: 'summary'
  documents: number
  flagged: number
  /** The first `errorsListedPerInput` input errors of each input (at most 10 000 in all). */
  errors: ScanError[]
  /** All input errors, listed or not. */
  errorCount: number
  errorsListedPerInput: number
  /** Pooled p-value for the corpus as a whole. */
  pooledPValue: number
  pooledLog10PValue: number
  fdr: number
  keys: Array<{ keyId: string; spec: Record<string, unknown> }>
  /** Flagged documents per attributed account. */
  accounts: Array<{ account: number; documents: number }>
  tokens: number
  bytes: number
  seconds: number
  /** Histogram of document p-values: counts in 20 equal bins of [0, 1]. */
  pHistogram: number[]
  /** The common-tuple filter (see common.ts), or null when off. */
  commonTuples: { fraction: number; sampledDocuments: number; minDocuments: number; excluded: number[] } | null
}
