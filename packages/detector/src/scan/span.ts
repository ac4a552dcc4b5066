import { nullModel, type WatermarkSpec } from '@tracemark/watermark'
import { logGamma } from '../stats/special.js'
import { binomialUpperTailLog, gammaUpperTailLog } from '../stats/tails.js'
import { DOCUMENT_SCRATCH, fitScratch } from '../scratch.js'

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
 * @param n positions to read (`score` may be a longer, reused buffer)
 */
export function bestSpan(spec: WatermarkSpec, score: Float64Array, n = score.length): BestSpan | null {
  if (n < MIN_WINDOW) return null
  // The law of the last spec (a scan scores its documents under the same few keys).
  if (spec !== lawOf.spec) lawOf = { spec, law: spanLaw(nullModel(spec)) }
  const law = lawOf.law
  // Prefix sums of counted tuples and of their scores (buffers reused: a scan calls
  // this for every document).
  cnt = fitScratch(cnt, n + 1, DOCUMENT_SCRATCH, (m) => new Float64Array(m))
  sum = fitScratch(sum, n + 1, DOCUMENT_SCRATCH, (m) => new Float64Array(m))
  // Running totals in locals: reading each back from the array it was just written
  // to made the loop a chain of store-to-load latencies. (Adding 0 for a repeat, as
  // before, changed no total, so the sums are the same.)
  const c = cnt
  const t = sum
  let counted = 0
  let running = 0
  c[0] = 0
  t[0] = 0
  for (let i = 0; i < n; i++) {
    const s = score[i]
    if (s === s) {
      counted++
      running += s
    }
    c[i + 1] = counted
    t[i + 1] = running
  }
  const exact = (k: number, s: number) =>
    law.kind === 'gamma' ? gammaUpperTailLog(k, s) : binomialUpperTailLog(Math.round(s), k * law.trials, law.p)
  // The exact tails dominate the cost: compute them only where they can win.
  // T is the exact log p of the window with the largest z; a window whose lower
  // bound is above T cannot be the minimum (nor tie with it), so the result is
  // exactly the exhaustive search's, first window on ties included.
  let topA = -1
  let topB = -1
  let topZ = -Infinity
  const windows = forEachWindow(n, (a, b) => {
    const k = cnt[b] - cnt[a]
    if (k === 0) return
    const z = zOf(law, k, sum[b] - sum[a])
    if (z > topZ) {
      topZ = z
      topA = a
      topB = b
    }
  })
  if (topA < 0) return null
  const T = exact(cnt[topB] - cnt[topA], sum[topB] - sum[topA])
  // A window is skipped when a lower bound on its log p is above T or above the best
  // found so far (it could neither win nor tie: ties keep the first window). The
  // cheap bound first; the tighter one (more terms of the same sum) only for
  // windows the cheap one cannot rule out: each exact tail ruled out saves ~1 µs.
  let best: BestSpan | null = null
  let bound = T
  forEachWindow(n, (a, b) => {
    const k = cnt[b] - cnt[a]
    if (k === 0) return
    const s = sum[b] - sum[a]
    if (lowerBoundLogP(law, k, s) > bound || tighterLowerBoundLogP(law, k, s) > bound) return
    const logP = a === topA && b === topB ? T : exact(k, s)
    if (!best || logP < best.logP) {
      best = { start: a, end: b, logP, windows: 0 }
      bound = Math.min(bound, logP)
    }
  })
  if (!best) return null
  const found: BestSpan = best
  found.windows = windows
  found.logP = Math.min(0, found.logP + Math.log(windows))
  return found
}

let cnt = new Float64Array(1024)
let lawOf: { spec: WatermarkSpec | null; law: Law } = { spec: null, law: { kind: 'gamma' } }
let sum = new Float64Array(1024)

/**
 * Calls `visit(a, b)` for each window [a, b) in the search's order: sizes 32, 64,
 * ... up to n, each sliding by a quarter of its size, plus the window that ends the
 * document when the stride skips it. Returns the number of windows.
 */
function forEachWindow(n: number, visit: (a: number, b: number) => void): number {
  let count = 0
  for (let w = MIN_WINDOW; ; w *= 2) {
    const size = Math.min(w, n)
    const stride = Math.max(1, size >> 2)
    for (let a = 0; a + size <= n; a += stride, count++) visit(a, a + size)
    if (size === n) break
    // Make sure the last stretch of the document is covered at this size.
    if ((n - size) % stride !== 0) {
      visit(n - size, n)
      count++
    }
  }
  return count
}

/** A null law with the logarithms the bounds take for every window, computed once. */
export type Law = { kind: 'gamma' } | { kind: 'binomial'; p: number; trials: number; logP: number; log1mP: number }

export function spanLaw(model: ReturnType<typeof nullModel>): Law {
  return model.kind === 'gamma' ? model : { ...model, logP: Math.log(model.p), log1mP: Math.log1p(-model.p) }
}

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
 * - above it, terms of the tail: of the Poisson sum that the upper incomplete gamma
 *   is at integer k, and of the binomial's mass function (see below).
 */
export function lowerBoundLogP(law: Law, k: number, s: number): number {
  const edge = edgeLogP(law, k, s)
  if (edge !== null) return edge
  let lb: number
  if (law.kind === 'gamma') {
    // Poisson(s) terms e^−s s^j / j! grow with j below s, so the last L terms of the
    // sum up to k − 1 are each at least the term at k − L.
    const L = Math.min(k, Math.max(1, Math.floor(Math.sqrt(k))))
    const logS = Math.log(s)
    lb = Math.max(poissonTermLog(s, logS, k - 1), Math.log(L) + poissonTermLog(s, logS, k - L))
  } else {
    const n = k * law.trials
    const m = Math.round(s)
    const p = law.p
    // Past the mode (at most ⌊np⌋ + 1 ≤ m) the mass function does not grow, so the L
    // terms from m on are each at least the one at m + L − 1. With L about one standard
    // deviation this stays within a few nats of the tail; one term alone is ~½ ln n
    // below it, too loose to skip a window when n runs to thousands (SynthID's depth).
    const L = Math.min(n - m + 1, Math.max(1, Math.floor(Math.sqrt(n * p * (1 - p)))))
    lb = L > 1 ? Math.max(binomialPmfLog(n, law, m), Math.log(L) + binomialPmfLog(n, law, m + L - 1)) : binomialPmfLog(n, law, m)
  }
  return withMargin(lb)
}

/**
 * Both bounds' easy cases, or null: at or below the median the tail is at least 1/2
 * (Gamma(k, 1) has its median above k − 1; Binomial(n, p) at or above ⌊np⌋), and a
 * binomial count above n has no tail at all.
 */
function edgeLogP(law: Law, k: number, s: number): number | null {
  if (law.kind === 'gamma') return s <= k - 1 ? HALF : null
  const n = k * law.trials
  const m = Math.round(s)
  if (m <= Math.floor(n * law.p)) return HALF
  return m > n ? -Infinity : null
}

const HALF = Math.log(0.5) - 1e-9

/** A margin for rounding, so that a bound never exceeds the computed exact value. */
function withMargin(lb: number): number {
  return lb - 1e-9 * Math.abs(lb) - 1e-9
}

/** Most terms {@link tighterLowerBoundLogP} sums. */
const TIGHT_TERMS = 64

/**
 * A lower bound on a window's log p-value within a fraction of a nat of it where
 * the window is significant, for the windows {@link lowerBoundLogP} cannot rule
 * out: the first terms of the tail's own sum, each from the last by its exact
 * ratio, instead of one or two terms.
 * - Gamma(k, 1): P(G > s) = P(Poisson(s) ≤ k − 1); from the term at k − 1 down,
 *   the term at j − 1 is the term at j times j / s.
 * - Binomial(n, p): P(X ≥ m) = Σ_{j ≥ m} pmf(j), and pmf(j + 1) = pmf(j) (n − j) p / ((j + 1)(1 − p)).
 * Every term is positive, so a partial sum is below the whole one; the same margin
 * for rounding as {@link lowerBoundLogP}.
 */
export function tighterLowerBoundLogP(law: Law, k: number, s: number): number {
  const edge = edgeLogP(law, k, s)
  if (edge !== null) return edge
  let partial = 1
  let term = 1
  if (law.kind === 'gamma') {
    for (let j = k - 1, i = 1; i < TIGHT_TERMS && j > 0; j--, i++) {
      term *= j / s
      partial += term
    }
    return withMargin(poissonTermLog(s, Math.log(s), k - 1) + Math.log(partial))
  }
  const n = k * law.trials
  const m = Math.round(s)
  const odds = law.p / (1 - law.p)
  for (let j = m, i = 1; i < TIGHT_TERMS && j < n; j++, i++) {
    term *= ((n - j) * odds) / (j + 1)
    partial += term
  }
  return withMargin(binomialPmfLog(n, law, m) + Math.log(partial))
}

// Plain functions, not closures over the window's numbers: a closure per window
// allocated its context and boxed doubles (~100 MB per 30 MB of text scanned).

/** ln of the Poisson(s) mass at j, given ln s. */
function poissonTermLog(s: number, logS: number, j: number): number {
  return -s + j * logS - logFactorial(j)
}

/** ln of the Binomial(n, p) mass at j. */
function binomialPmfLog(n: number, law: { logP: number; log1mP: number }, j: number): number {
  return logFactorial(n) - logFactorial(j) - logFactorial(n - j) + j * law.logP + (n - j) * law.log1mP
}

/** Largest argument kept in {@link logFactorial}'s table (8 MiB). */
const FACTORIALS = 1 << 20
let factorials = new Float64Array(0)

/**
 * ln j! for a nonnegative integer j: logGamma(j + 1), from a table filled on first
 * use up to the largest j asked (the lower bounds ask three per window; the
 * same values, so the same decisions).
 */
function logFactorial(j: number): number {
  if (j >= FACTORIALS) return logGamma(j + 1)
  if (j >= factorials.length) {
    const next = new Float64Array(Math.min(FACTORIALS, Math.max(1024, 2 * factorials.length, j + 1)))
    next.set(factorials)
    for (let i = factorials.length; i < next.length; i++) next[i] = logGamma(i + 1)
    factorials = next
  }
  return factorials[j]
}
