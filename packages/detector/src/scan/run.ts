import { createHash } from 'node:crypto'
import { statSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseKey, type WatermarkKey } from '@tracemark/watermark'
import type { PooledPart, ScorerOptions } from './document.js'
import { createScanPool, type Job } from './pool.js'
import type { SourceFormat } from './sources/index.js'
import { scanCommonTuples } from './common.js'
import { strongestDocuments } from './report/strongest.js'
import { writeReport } from './report/write.js'
import { openState, type ResumeState } from './state.js'
import { blockLines, indexedRecords } from './records.js'
import { createSummaryBuilder } from './summary-builder.js'
import { describeLocation, type DocumentResult, type ScanSummary, type SourceRecord } from './types.js'

export interface ScanOptions {
  inputs: string[]
  /** Key file contents (already read; never logged). */
  keyTexts: string[]
  format?: SourceFormat
  field?: string
  workers?: number
  /** False-discovery rate for flagging documents. */
  fdr?: number
  /** BH assumes independent or positively dependent p-values; `arbitrary` uses Benjamini–Yekutieli. */
  fdrDependence?: 'positive' | 'arbitrary'
  /** Per-document significance for `detected` in document records. */
  alpha?: number
  accounts?: number[]
  resume?: string
  /** Documents per pooling block (and per worker batch). */
  blockSize?: number
  scorer?: ScorerOptions
  /** Write the self-contained HTML report here. */
  report?: string
  /** Common-tuple filter fraction (see common.ts); undefined: automatic, false: off. */
  commonTuples?: number | false
}

export interface ScanIo {
  /** One NDJSON line (document, error or summary record). */
  record(line: string): void
  /** A human-readable problem report. */
  warn(message: string): void
  /** Progress: documents, tokens, bytes of text so far. */
  progress?(p: { documents: number; tokens: number; bytes: number; seconds: number }): void
}

/**
 * Identity of a scan for its resume state: inputs, keys and the options that
 * change results. Local and distributed scans of the same corpus share it (both
 * advance in whole blocks), so either can resume the other's state.
 */
export function scanId(o: ScanOptions, keys: WatermarkKey[], blockSize: number): string {
  const h = createHash('sha256')
  h.update(JSON.stringify({
    inputs: o.inputs.map((i) => (i === '-' ? '-' : resolve(i))),
    keys: keys.map((k) => k.keyId),
    format: o.format ?? null,
    field: o.field ?? null,
    blockSize,
    alpha: o.alpha ?? 1e-6,
    accounts: o.accounts ? createHash('sha256').update(o.accounts.join(',')).digest('hex') : null,
    commonTuples: o.commonTuples ?? 'auto',
  }))
  return h.digest('hex').slice(0, 32)
}

/**
 * Scans a corpus: streams the inputs, scores blocks of documents on a worker pool,
 * emits records in input order, and ends with the corpus summary. Memory holds a
 * few blocks in flight plus 8 bytes per document for the FDR step.
 */
export async function runScan(o: ScanOptions, io: ScanIo): Promise<ScanSummary> {
  const t0 = performance.now()
  const keys = o.keyTexts.map((t) => parseKey(t))
  const blockSize = o.blockSize ?? 512
  const alpha = o.alpha ?? 1e-6
  const workers = Math.max(1, o.workers ?? 1)
  const state: ResumeState | null = o.resume ? openState(o.resume, scanId(o, keys, blockSize)) : null

  const summaryOf = createSummaryBuilder(o)
  const account = (line: string) => summaryOf.account(line)
  // The strongest documents' texts, kept for the HTML report (bounded).
  const strongest = strongestDocuments<{ r: DocumentResult; text: string }>()

  // Replay what a previous run completed: same records, same order.
  if (state) {
    for (const line of state.lines) {
      account(line)
      io.record(line)
    }
    summaryOf.addParts(state.parts)
  }

  const common = await scanCommonTuples(o, keys, io.warn)
  const pool = await createScanPool(workers, o.keyTexts, { ...o.scorer, accounts: o.accounts, exclude: common?.exclude })
  let consumed = state?.consumed ?? 0
  type Block = { records: Array<SourceRecord & { index?: number }>; done: Promise<{ results: DocumentResult[]; parts: PooledPart[] }>; consumed: number }
  const inFlight: Block[] = []

  const emit = async (b: Block) => {
    const { results, parts: bp } = await b.done
    for (const rec of b.records) {
      if (rec.error === undefined) continue
      const where = describeLocation(rec)
      io.warn(`${where}: ${rec.error}`)
    }
    const lines = blockLines(b.records, results, alpha)
    if (o.report) {
      const texts = new Map(b.records.map((x) => [x.index, x.text]))
      for (const r of results) strongest.keep({ r, text: texts.get(r.index)! })
    }
    state?.append(lines, b.consumed, bp)
    summaryOf.addParts(bp)
    for (const l of lines) {
      account(l)
      io.record(l)
    }
    io.progress?.({ documents: summaryOf.documents, tokens: summaryOf.tokens, bytes: summaryOf.bytes, seconds: (performance.now() - t0) / 1000 })
  }

  let current: Block['records'] = []
  const dispatch = async () => {
    if (current.length === 0) return
    const jobs: Job[] = []
    for (const r of current) if (r.error === undefined) jobs.push({ index: r.index!, text: r.text, where: { file: r.file, line: r.line, row: r.row } })
    consumed += current.length
    const block: Block = { records: current, consumed, done: jobs.length ? pool.score(jobs) : Promise.resolve({ results: [], parts: [] }) }
    current = []
    inFlight.push(block)
    // Keep every worker busy, but emit in order and bound the memory in flight.
    while (inFlight.length > workers * 2) await emit(inFlight.shift()!)
  }
  try {
    for await (const rec of indexedRecords(o.inputs, { format: o.format, field: o.field }, consumed, summaryOf.documents)) {
      current.push(rec)
      if (current.length >= blockSize) await dispatch()
    }
    await dispatch()
    while (inFlight.length) await emit(inFlight.shift()!)
  } finally {
    await pool.close()
    state?.close()
  }

  const summary = summaryOf.finish(keys, (performance.now() - t0) / 1000, common?.summary ?? null)
  io.record(JSON.stringify(summary))
  if (o.report) writeReport(o.report, summary, keys, strongest.list(), o.scorer)
  return summary
}

/** Total size of the inputs in bytes (for progress), or 0 when unknown (stdin). */
export function inputBytes(inputs: string[]): number {
  let total = 0
  for (const i of inputs) {
    try {
      total += i === '-' ? 0 : statSync(i).size
    } catch {
      // reported by the reader
    }
  }
  return total
}
