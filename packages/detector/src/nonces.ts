/**
 * Gumbel keys with per-request nonces: the text was generated under ONE of N keyed
 * streams, unknown to the detector, so every stream is tested and the best one is
 * taken at its exact price.
 *
 * The null hypothesis: the text does not depend on the key. A scored tuple's uniform
 * under nonce ν is the mixer's output for (window seed ⊕ mask ν, token), where the
 * window seed is a keyed PRF of the window and mask ν a keyed PRF of ν: distinct
 * (window, token, ν) are distinct PRF inputs, so over the key the N streams' sums of
 * the same unique tuples are independent Gamma(n, 1) variables, and their p-values
 * p_1..p_N are independent uniforms. Then P(min p ≤ a) = 1 − (1 − a)^N exactly
 * (Šidák), and the reported p-value is 1 − (1 − p_min)^N ≤ N · p_min. Independence
 * needs the tuples to be deduplicated ONCE for all streams (the tuple identity does
 * not depend on the nonce), which every caller does through {@link nonceSums}.
 */
import type { TokenScores, WatermarkSpec } from '@tracemark/watermark'
import { testStatistic } from './detect.js'

/** The parts of a score array the pooled tests need (a subset of TokenScores). */
export type ScoredTuples = Pick<TokenScores, 'tuple' | 'score' | 'count'> & Partial<Pick<TokenScores, 'nonces' | 'addStreams' | 'streamScore'>>

/** Adds tuple j's score under every stream to `sums` (length N: 1 for keys with one stream). */
export function addTuple(s: ScoredTuples, j: number, sums: Float64Array): void {
  const N = sums.length
  if (N === 1) {
    sums[0] += s.score[j]
    return
  }
  s.addStreams!(j, sums)
}

/** Streams of a score array (1 unless the key has nonces). */
export function streamsOf(s: ScoredTuples): number {
  return s.addStreams ? (s.nonces ?? 1) : 1
}

/** ln of 1 − (1 − p)^N for p = e^logP, without cancellation for tiny p. */
export function sidakLog(logP: number, N: number): number {
  if (N === 1 || logP === 0) return logP
  const p = Math.exp(logP)
  // 1 − (1 − p)^N = N p (1 − (N − 1) p / 2 + …): the series is exact to double precision below 1e-12.
  if (p < 1e-12) return logP + Math.log(N) + Math.log1p((-(N - 1) * p) / 2)
  return Math.log(-Math.expm1(N * Math.log1p(-p)))
}

/**
 * The test over N streams: each stream's exact statistic on the same n unique tuples,
 * the best (smallest p) stream, and its Šidák-corrected log p-value.
 */
export function bestStream(
  spec: WatermarkSpec,
  n: number,
  sums: Float64Array,
): { logP: number; expected: number; z: number; hypothesis: string; nonce: number; sum: number } {
  let best = 0
  let stat = testStatistic(spec, n, sums[0])
  for (let v = 1; v < sums.length; v++) {
    const s = testStatistic(spec, n, sums[v])
    if (s.logP < stat.logP) {
      stat = s
      best = v
    }
  }
  const N = sums.length
  if (N === 1) return { ...stat, nonce: 0, sum: sums[0] }
  return {
    ...stat,
    logP: sidakLog(stat.logP, N),
    hypothesis: `${stat.hypothesis} under each of the key's ${N} nonce streams, independently; p = 1 − (1 − p_min)^${N}`,
    nonce: best,
    sum: sums[best],
  }
}
