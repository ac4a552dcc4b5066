import { nullModel, type WatermarkSpec } from '@tracemark/watermark'
import { logGamma } from '../stats/special.js'
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
  const exact = (k: number, s: number) =>
    law.kind === 'gamma' ? gammaUpperTailLog(k, s) : binomialUpperTailLog(Math.round(s), k * law.trials, law.p)
  // The exact tails dominate the cost: compute them only where they can win.
  // T is the exact log p of the window with the largest z; a window whose lower
  // bound is above T cannot be the minimum (nor tie with it), so the result is
  // exactly the exhaustive search's, first window on ties included.
  let top = -1
  let topZ = -Infinity
  for (let w = 0; w < windows.length; w++) {
    const [a, b] = windows[w]
    const k = cnt[b] - cnt[a]
    if (k === 0) continue
    const z = zOf(law, k, sum[b] - sum[a])
    if (z > topZ) {
      topZ = z
      top = w
    }
  }
  if (top < 0) return null
  const T = exact(cnt[windows[top][1]] - cnt[windows[top][0]], sum[windows[top][1]] - sum[windows[top][0]])
  let best: BestSpan | null = null
  for (const [a, b] of windows) {
    const k = cnt[b] - cnt[a]
    if (k === 0) continue
    const s = sum[b] - sum[a]
    if (lowerBoundLogP(law, k, s) > T) continue
    const logP = exact(k, s)
    if (!best || logP < best.logP) best = { start: a, end: b, logP, windows: 0 }
  }
  if (!best) return null
  best.windows = windows.length
  best.logP = Math.min(0, best.logP + Math.log(windows.length))
  return best
}

type Law = ReturnType<typeof nullModel>

/** Standardized score of a window: only orders the candidates. */
function zOf(law: Law, k: number, s: number): number {
  if (law.kind === 'gamma') return (s - k) / Math.sqrt(k)
  const n = k * law.trials
  return (Math.round(s) - n * law.p) / Math.sqrt(n * law.p * (1 - law.p) || 1)
}

/**
 * A lower bound on a window's log p-value, cheap next to the exact tail, with a
 * margin for rounding so that it never exceeds the computed exact value:
 * - below the median the tail is at least 1/2 (Gamma(k, 1) has its median above
 *   k − 1; Binomial(n, p) at or above floor(np));
 * - above it, one term of the tail: e^−s s^(k−1)/(k−1)! for the gamma tail (the
 *   Poisson sum of the upper incomplete gamma at integer k), the point mass
 *   P(X = m) for the binomial.
 */
function lowerBoundLogP(law: Law, k: number, s: number): number {
  let lb: number
  if (law.kind === 'gamma') {
    if (s <= k - 1) return Math.log(0.5) - 1e-9
    lb = -s + (k - 1) * Math.log(s) - logGamma(k)
  } else {
    const n = k * law.trials
    const m = Math.round(s)
    if (m <= Math.floor(n * law.p)) return Math.log(0.5) - 1e-9
    if (m > n) return -Infinity
    lb = logGamma(n + 1) - logGamma(m + 1) - logGamma(n - m + 1) + m * Math.log(law.p) + (n - m) * Math.log1p(-law.p)
  }
  return lb - 1e-9 * Math.abs(lb) - 1e-9
}
