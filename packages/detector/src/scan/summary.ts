import type { WatermarkKey } from '@tracemark/watermark'
import { testStatistic } from '../detect.js'
import { bestStream } from '../nonces.js'
import { benjaminiHochbergLog } from '../stats/fdr.js'
import type { PooledPart } from './document.js'

/**
 * The corpus-level pooled test. Within a block of documents every unique tuple
 * counts once (so repeated documents add nothing), and the block's score is
 * tested exactly. Blocks and keys are combined by Bonferroni (the best block's
 * p-value times the number of block-key tests), valid under any dependence
 * between blocks — e.g. the same text appearing in two shards.
 */
export function createPooledTest(keys: WatermarkKey[]): { add(parts: PooledPart[]): void; logP(): number } {
  // Folded as parts arrive: a scan of terabytes closes millions of them.
  let best = 0
  let count = 0
  return {
    add(parts) {
      for (const p of parts) {
        const spec = keys[p.keyIndex].spec
        const logP = p.sums ? bestStream(spec, p.n, Float64Array.from(p.sums)).logP : testStatistic(spec, p.n, p.sum).logP
        if (logP < best) best = logP
        count++
      }
    },
    logP: () => (count === 0 ? 0 : Math.min(0, best + Math.log(count))),
  }
}

/**
 * Documents flagged at false-discovery rate q (Benjamini–Hochberg, or –Yekutieli
 * under arbitrary dependence) among `tested` documents, given the log10 p-values
 * of every document whose p-value could be at or below q (the others, above q,
 * can never be flagged and leave these ranks unchanged). One flag per value given.
 */
export function flagged(log10P: Float64Array, q: number, arbitrary: boolean, tested = log10P.length): Uint8Array {
  if (log10P.length === 0) return new Uint8Array(0)
  const ln = Float64Array.from(log10P, (x) => x * Math.LN10)
  return benjaminiHochbergLog(ln, q, { dependence: arbitrary ? 'arbitrary' : 'positive', tested }).rejected
}

/**
 * Whether a document's log10 p-value can be flagged at FDR q, and must be kept for
 * {@link flagged}: p ≤ q, with a margin far above rounding (keeping a few more
 * than needed changes nothing).
 */
export function mayBeFlagged(log10P: number, q: number): boolean {
  return log10P <= Math.log10(q) + 1e-9
}
