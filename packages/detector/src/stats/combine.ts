/**
 * Multiplicity corrections for a p-value that was the best of several looks
 * (m keys tried, m windows scanned, m accounts checked), in log space.
 */

/**
 * Bonferroni correction of ln p for m tests: ln min(1, m·p) = min(0, ln p + ln m).
 * Valid under any dependence between the tests.
 *
 * @param logP - ln p ≤ 0 (−Infinity allowed)
 * @param m - number of tests, ≥ 1
 * @throws RangeError for a positive or NaN logP, or m < 1.
 */
export function bonferroniLog(logP: number, m: number): number {
  if (!(logP <= 0)) throw new RangeError(`bonferroniLog: logP must be <= 0, got ${logP}`)
  if (!(m >= 1 && m < Infinity)) throw new RangeError(`bonferroniLog: m must be >= 1 and finite, got ${m}`)
  return Math.min(0, logP + Math.log(m))
}

/**
 * ln of the Bonferroni-corrected minimum p-value: the p-value of "at least one
 * of these m tests is this extreme", m = logPs.length.
 *
 * @param logPs - ln p-values, each ≤ 0
 * @throws RangeError for an empty list or a positive or NaN entry.
 */
export function minPCorrectedLog(logPs: ArrayLike<number>): number {
  if (logPs.length === 0) throw new RangeError('minPCorrectedLog: no p-values')
  let min = 0
  for (let i = 0; i < logPs.length; i++) {
    const v = logPs[i]
    if (!(v <= 0)) throw new RangeError(`minPCorrectedLog: logPs[${i}] must be <= 0, got ${v}`)
    if (v < min) min = v
  }
  return bonferroniLog(min, logPs.length)
}
