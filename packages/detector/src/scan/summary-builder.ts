import type { WatermarkKey } from '@tracemark/watermark'
import type { PooledPart } from './document.js'
import type { ScanOptions } from './run.js'
import { toPValue } from '../stats/tails.js'
import { createPooledTest, flagged, mayBeFlagged } from './summary.js'
import { describeLocation, type ScanError, type ScanSummary } from './types.js'
import type { OutputRecord } from './records.js'

const HIST_BINS = 20
/** Input errors listed per input file in the summary (and shown on stderr); the rest are counted. */
export const ERRORS_PER_INPUT = 100
/** Input errors listed in the summary at most, over all inputs (a directory of many bad files). */
export const ERRORS_LISTED = 10_000

/** Accumulates emitted NDJSON records and pooled parts into the scan summary. */
export interface SummaryBuilder {
  /**
   * Accounts one emitted record (document or error), in input order; its line is
   * `JSON.stringify(r)`, and a replayed line is accounted as `JSON.parse(line)`.
   * Returns the warning to show for an input error: each of the first
   * {@link ERRORS_PER_INPUT} of an input, then one line saying the rest are
   * only counted (a flood of bad lines must not flood stderr or memory).
   */
  account(r: OutputRecord): string | undefined
  /** Adds the pooled evidence of completed blocks (folded in, not kept). */
  addParts(parts: PooledPart[]): void
  readonly documents: number
  readonly tokens: number
  readonly bytes: number
  /** The summary record (caller emits it); `seconds` as given. */
  finish(seconds: number, common?: ScanSummary['commonTuples']): ScanSummary & { flaggedDocuments: number[]; fdrProcedure: string }
}

/**
 * The corpus summary, shared by the local and the distributed scan so both
 * produce identical summaries (same fields, same order) from the same records.
 */
export function createSummaryBuilder(o: Pick<ScanOptions, 'fdr' | 'fdrDependence'>, keys: WatermarkKey[]): SummaryBuilder {
  // Only documents that could be flagged (p <= q): a scan of billions of documents
  // cannot hold every p-value, and the others cannot change which are flagged.
  const q = o.fdr ?? 0.01
  if (!(q > 0 && q <= 1)) throw new RangeError(`fdr must be in (0, 1], got ${q}`)
  const candidateLog10P: number[] = []
  const candidateDocument: number[] = []
  const attributed = new Map<number, number[]>() // candidate's position -> accounts
  const errors: ScanError[] = []
  const perInput = new Map<string, number>()
  let errorCount = 0
  const hist = new Array<number>(HIST_BINS).fill(0)
  const pooledTest = createPooledTest(keys)
  let tokens = 0
  let bytes = 0
  let documents = 0
  // A line's numbers as JSON.parse gives them back: a non-finite one was written as null.
  const json = (x: number): number => (Number.isFinite(x) ? x : (null as unknown as number))
  const account = (r: OutputRecord): string | undefined => {
    if (r.type === 'error') {
      errorCount++
      const n = (perInput.get(r.file) ?? 0) + 1
      perInput.set(r.file, n)
      if (n <= ERRORS_PER_INPUT && errors.length < ERRORS_LISTED) errors.push({ file: r.file, line: r.line, row: r.row, reason: r.reason })
      if (n <= ERRORS_PER_INPUT) return `${describeLocation(r)}: ${r.reason}`
      if (n === ERRORS_PER_INPUT + 1) return `${r.file}: more input errors; the summary counts them (errorCount) but lists only the first ${ERRORS_PER_INPUT} per input`
      return undefined
    }
    const log10P = json(r.log10PValue)
    if (mayBeFlagged(log10P, q)) {
      candidateLog10P.push(log10P)
      candidateDocument.push(documents)
      if (r.attribution) attributed.set(documents, r.attribution.accounts)
    }
    documents++
    tokens += r.tokens
    bytes += r.bytes ?? 0
    hist[Math.min(HIST_BINS - 1, Math.floor(json(r.pValue) * HIST_BINS))]++
    return undefined
  }
  return {
    get documents() {
      return documents
    },
    get tokens() {
      return tokens
    },
    get bytes() {
      return bytes
    },
    account,
    addParts(p) {
      pooledTest.add(p)
    },
    finish(seconds, common = null) {
      const flags = flagged(Float64Array.from(candidateLog10P), q, o.fdrDependence === 'arbitrary', documents)
      const flaggedDocuments = candidateDocument.filter((_, i) => flags[i] === 1)
      const perAccount = new Map<number, number>()
      for (const d of flaggedDocuments) for (const a of attributed.get(d) ?? []) perAccount.set(a, (perAccount.get(a) ?? 0) + 1)
      const pooled = toPValue(pooledTest.logP())
      return {
        type: 'summary',
        documents,
        flagged: flaggedDocuments.length,
        flaggedDocuments,
        errors,
        errorCount,
        errorsListedPerInput: ERRORS_PER_INPUT,
        pooledPValue: pooled.pValue,
        pooledLog10PValue: pooled.log10PValue,
        fdr: q,
        fdrProcedure: o.fdrDependence === 'arbitrary' ? 'Benjamini-Yekutieli' : 'Benjamini-Hochberg',
        keys: keys.map((k) => ({ keyId: k.keyId, spec: { ...k.spec } })),
        accounts: [...perAccount].map(([a, n]) => ({ account: a, documents: n })).sort((x, y) => y.documents - x.documents),
        tokens,
        bytes,
        seconds,
        pHistogram: hist,
        commonTuples: common,
      }
    },
  }
}
