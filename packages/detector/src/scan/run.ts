import { createHash } from 'node:crypto'
import { readdirSync, realpathSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseKey, type WatermarkKey } from '@tracemark/watermark'
import type { BlockOutput } from './block.js'
import type { ScorerOptions } from './document.js'
import { planBlocks } from './plan.js'
import { QUICK_DECODE_BELOW } from './race-test.js'
import { createScanPool } from './pool.js'
import { cannotRead } from './sources/errors.js'
import { fileIdentity, type SourceFormat } from './sources/index.js'
import { isS3, listOnce, listS3, type S3Lister } from './sources/s3.js'
import { scanCommonTuples } from './common.js'
import { REPORT_DOCUMENTS, strongestDocuments } from './report/strongest.js'
import { writeReport } from './report/write.js'
import { openState, type ResumeState } from './state.js'
import { blockRecords, type OutputRecord } from './records.js'
import { createSummaryBuilder } from './summary-builder.js'
import { describeLocation, type DocumentResult, type ScanSummary } from './types.js'

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
  /** Identities (`dev:ino`, see fileIdentity) of other files the caller writes, e.g. standard output: never read as input. */
  outputs?: string[]
  /** Stops the scan after the blocks in flight (their records are emitted and saved); it then throws {@link ScanInterrupted}. */
  signal?: AbortSignal
  /**
   * How `s3://` inputs are listed. The CLI passes one `listOnce()` to its progress
   * total, the scan and the evidence bundle; by default the scan makes its own, so
   * each input is listed once per scan.
   */
  list?: S3Lister
}

export interface ScanIo {
  /** One NDJSON line (document, error or summary record). */
  record(line: string): void
  /**
   * A block's records (or the replayed ones, or the summary) are all given: a caller
   * that buffers {@link record} lines writes them out here.
   */
  flush?(): void
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
    inputs: o.inputs.map((i) => (i === '-' || isS3(i) ? i : resolve(i))),
    keys: keys.map((k) => k.keyId),
    format: o.format ?? null,
    field: o.field ?? 'text',
    blockSize,
    alpha: o.alpha ?? 1e-6,
    accounts: o.accounts ? createHash('sha256').update(o.accounts.join(',')).digest('hex') : null,
    commonTuples: o.commonTuples ?? 'auto',
    // Only when set, so that states written before the option existed still resume.
    ...(o.scorer?.fullVotes ? { fullVotes: true } : {}),
    ...(o.scorer?.decodeBelow !== undefined && o.scorer.decodeBelow !== QUICK_DECODE_BELOW ? { decodeBelow: o.scorer.decodeBelow } : {}),
  }))
  return h.digest('hex').slice(0, 32)
}

/**
 * Scans a corpus: plans blocks of references to the inputs (see plan.ts), has
 * the worker pool read, parse and score each block, emits records in input
 * order, and ends with the corpus summary. Memory holds a few blocks' small
 * records in flight plus ~16 bytes per document whose p-value is at or below the
 * FDR level (only those can be flagged); the documents' text stays in the workers.
 */
export async function runScan(o: ScanOptions, io: ScanIo): Promise<ScanSummary> {
  const t0 = performance.now()
  const keys = o.keyTexts.map((t) => parseKey(t))
  const blockSize = o.blockSize ?? 512
  const alpha = o.alpha ?? 1e-6
  const workers = Math.max(1, o.workers ?? 1)
  o = { ...o, list: o.list ?? listOnce() }
  const state: ResumeState | null = o.resume ? openState(o.resume, scanId(o, keys, blockSize), await inputFingerprint(o)) : null
  const skip = outputIdentities(o)

  const summaryOf = createSummaryBuilder(o, keys)
  const account = (r: OutputRecord) => {
    const warning = summaryOf.account(r)
    if (warning) io.warn(warning)
  }
  // The strongest documents' texts, kept for the HTML report (bounded).
  const strongest = strongestDocuments<{ r: DocumentResult; text: string }>()

  // Replay what a previous run completed: same records, same order.
  if (state) {
    state.replay(
      (line) => {
        account(JSON.parse(line) as OutputRecord)
        io.record(line)
      },
      (parts) => summaryOf.addParts(parts),
    )
    io.flush?.()
  }

  const common = await scanCommonTuples({ ...o, skip }, keys, io.warn)
  const pool = await createScanPool(workers, o.keyTexts, { ...o.scorer, accounts: o.accounts, exclude: common?.exclude }, { field: o.field })
  const keepTexts = o.report ? REPORT_DOCUMENTS : 0
  type Block = { done: Promise<BlockOutput>; consumed: number }
  const inFlight: Block[] = []

  const emit = async (b: Block) => {
    const out = await b.done
    const first = summaryOf.documents
    const records = blockRecords(out.entries, first, alpha)
    const lines = records.map((r) => JSON.stringify(r))
    if (o.report) {
      const texts = new Map(out.texts)
      for (const e of out.entries) {
        if (e.type === 'document' && texts.has(e.index)) strongest.keep({ r: { ...e, index: e.index + first }, text: texts.get(e.index)! })
      }
    }
    state?.append(lines, b.consumed, out.parts)
    summaryOf.addParts(out.parts)
    for (let i = 0; i < lines.length; i++) {
      account(records[i])
      io.record(lines[i])
    }
    io.flush?.()
    io.progress?.({ documents: summaryOf.documents, tokens: summaryOf.tokens, bytes: summaryOf.bytes, seconds: (performance.now() - t0) / 1000 })
  }

  try {
    for await (const block of planBlocks(o.inputs, { format: o.format, field: o.field, skip, list: o.list }, blockSize, state?.consumed ?? 0)) {
      if (o.signal?.aborted) break
      inFlight.push({ done: pool.score(block.pieces, keepTexts), consumed: block.consumed })
      // Keep every worker busy, but emit in order and bound the memory in flight.
      while (inFlight.length > workers * 2) await emit(inFlight.shift()!)
    }
    while (inFlight.length) await emit(inFlight.shift()!)
  } finally {
    await pool.close()
    state?.close()
  }
  if (o.signal?.aborted) throw new ScanInterrupted(o.resume)

  const summary = summaryOf.finish((performance.now() - t0) / 1000, common?.summary ?? null)
  io.record(JSON.stringify(summary))
  io.flush?.()
  if (o.report) writeReport(o.report, summary, keys, strongest.list(), o.scorer)
  return summary
}

/** Thrown when a scan stops on its `signal`: the completed blocks are in the resume state, if any. */
export class ScanInterrupted extends Error {
  constructor(resume?: string) {
    super(resume ? `interrupted; completed blocks are saved in ${resume}: run the same command to go on` : 'interrupted (use --resume FILE to be able to go on)')
  }
}

/**
 * Identities of the files a scan writes (standard output when it is a file,
 * the resume state, the report), so a scan of a directory that holds them does
 * not read its own output back (as grep skips its output file).
 */
export function outputIdentities(o: Pick<ScanOptions, 'resume' | 'report' | 'outputs'>): Set<string> {
  const ids = new Set<string>(o.outputs ?? [])
  for (const path of [o.resume, o.report]) {
    if (!path) continue
    try {
      ids.add(fileIdentity(statSync(path)))
    } catch {
      // not written yet
    }
  }
  return ids
}

/**
 * Size and modification time of every input file (size and ETag of every
 * object), for the resume state: a resumed scan over changed inputs would
 * replay results that no longer hold.
 */
export async function inputFingerprint(o: Pick<ScanOptions, 'inputs' | 'resume' | 'report' | 'outputs' | 'list'>): Promise<string> {
  const h = createHash('sha256')
  // The scan's own output files change as it runs: never part of the fingerprint.
  const own = new Set([o.resume, o.report].filter((p): p is string => !!p).map((p) => resolve(p)))
  const outputs = new Set(o.outputs ?? [])
  const visited = new Set<string>()
  const visit = (path: string) => {
    let s
    try {
      s = statSync(path)
    } catch {
      h.update(`${path}\0missing\n`)
      return
    }
    if (own.has(path) || outputs.has(fileIdentity(s))) return
    if (s.isDirectory()) {
      // Symlinked directories are followed once, as the reader does: a link back up cannot loop.
      const real = realpathSync(path)
      if (visited.has(real)) return
      visited.add(real)
      let names: string[] = []
      try {
        names = readdirSync(path).filter((n) => !n.startsWith('.')).sort()
      } catch {
        // unreadable: reported by the scan
      }
      for (const n of names) visit(join(path, n))
    } else h.update(`${path}\0${s.size}\0${s.mtimeMs}\n`)
  }
  for (const i of o.inputs) {
    if (i === '-') continue
    if (!isS3(i)) {
      visit(resolve(i))
      continue
    }
    try {
      for (const x of await (o.list ?? listS3)(i)) h.update(`${x.url}\0${x.size}\0${x.etag}\n`)
    } catch (e) {
      h.update(`${i}\0${cannotRead(e)}\n`)
    }
  }
  return h.digest('hex').slice(0, 32)
}

/** Total size of the inputs in bytes (for progress), or 0 when unknown (stdin). */
export async function inputBytes(inputs: string[], list: S3Lister = listS3): Promise<number> {
  let total = 0
  for (const i of inputs) {
    try {
      if (isS3(i)) for (const x of await list(i)) total += x.size
      else total += i === '-' ? 0 : statSync(i).size
    } catch {
      // reported by the reader
    }
  }
  return total
}
