import { nullModel, type WatermarkSpec } from '@tracemark/watermark'
import { binomialUpperTailLog, gammaUpperTailLog } from '../stats/tails.js'

/** Smallest window tried: shorter spans cannot reach strong evidence anyway. */
const MIN_WINDOW = 32

export interface BestSpan {
  /** Offsets [start, end) into the scored positions. */
  start: number
  end: number
  /** Log p-value corrected for every window tried (Bonferroni). */
  logP: number
  windows: number
}

/**
 * Finds the most significant contiguous span of a document: the pasted paragraph
 * of watermarked text inside human text. Windows of 32, 64, 128, ... tokens (up to
 * the document) slide with a stride of a quarter window; each window's exact
 * p-value counts only the tuples whose first occurrence in the document falls in
 * it, so every counted tuple is distinct and the null law is exact. The best
 * window's p-value is multiplied by the number of windows tried: the reference
 * implementation's WinMax scores "cannot be directly converted to p-values";
 * this one can, at the price of a log(windows) penalty.
 *
 * @param score per scored position; NaN marks a repeated tuple (not counted)
 */
export function bestSpan(spec: WatermarkSpec, score: Float64Array): BestSpan | null {
  const n = score.length
  if (n < MIN_WINDOW) return null
  const law = nullModel(spec)
  // Prefix sums of counted tuples and of their scores.
  const cnt = new Float64Array(n + 1)
  const sum = new Float64Array(n + 1)
  for (let i = 0; i < n; i++) {
    const s = score[i]
    const counted = s === s
    cnt[i + 1] = cnt[i] + (counted ? 1 : 0)
    sum[i + 1] = sum[i] + (counted ? s : 0)
  }
  const windows: Array<[number, number]> = []
  for (let w = MIN_WINDOW; ; w *= 2) {
    const size = Math.min(w, n)
    const stride = Math.max(1, size >> 2)
    for (let a = 0; a + size <= n; a += stride) windows.push([a, a + size])
    if (size === n) break
    // Make sure the last stretch of the document is covered at this size.
    if ((n - size) % stride !== 0) windows.push([n - size, n])
  }
  let best: BestSpan | null = null
  for (const [a, b] of windows) {
    const k = cnt[b] - cnt[a]
    if (k === 0) continue
    const s = sum[b] - sum[a]
    const logP =
      law.kind === 'gamma' ? gammaUpperTailLog(k, s) : binomialUpperTailLog(Math.round(s), k * law.trials, law.p)
    if (!best || logP < best.logP) best = { start: a, end: b, logP, windows: 0 }
  }
  if (!best) return null
  best.windows = windows.length
  best.logP = Math.min(0, best.logP + Math.log(windows.length))
  return best
}
