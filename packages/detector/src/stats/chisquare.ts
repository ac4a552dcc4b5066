/**
 * Pearson's chi-square goodness-of-fit test, used to check that a sampler's
 * output frequencies match the model distribution.
 */
import { logRegIncGammaUpper } from './incgamma.js'

/** Options of {@link chiSquareGoodnessOfFit}. */
export interface ChiSquareOptions {
  /** Cells expecting fewer counts than this are pooled (default 5). */
  minExpected?: number
  /** Parameters estimated from the data, subtracted from the degrees of freedom (default 0). */
  ddof?: number
}

/** Result of {@link chiSquareGoodnessOfFit}. */
export interface ChiSquareResult {
  /** Σ (O − E)² / E over the cells after pooling. */
  statistic: number
  /** Cells after pooling − 1 − ddof. */
  df: number
  /** P(χ²_df ≥ statistic) = Q(df/2, statistic/2); 0 only if it underflows (see logPValue). */
  pValue: number
  /** ln pValue, finite far below 1e-308. */
  logPValue: number
  /** Number of cells actually tested. */
  cells: number
}

/**
 * Chi-square goodness-of-fit test of observed counts against expected counts.
 *
 * Pooling: the chi-square law of the statistic is only trustworthy when every
 * cell expects ≳ 5 counts, so all cells with expected < `minExpected` are merged
 * into one pooled cell (their observed and expected counts summed). If that
 * pooled cell still expects fewer than `minExpected`, it is merged into the
 * smallest remaining cell. Cells with expected 0 join the pool too.
 *
 * @param observed - non-negative counts
 * @param expected - non-negative expected counts, same length, same total (to 1e-8 relative)
 * @throws RangeError for mismatched lengths or totals, negative or non-finite
 * entries, or fewer than df ≥ 1 cells left after pooling.
 */
export function chiSquareGoodnessOfFit(
  observed: ArrayLike<number>,
  expected: ArrayLike<number>,
  options: ChiSquareOptions = {},
): ChiSquareResult {
  const fn = 'chiSquareGoodnessOfFit'
  const minExpected = options.minExpected ?? 5
  const ddof = options.ddof ?? 0
  if (observed.length !== expected.length) {
    throw new RangeError(`${fn}: observed has ${observed.length} cells, expected ${expected.length}`)
  }
  let totalO = 0
  let totalE = 0
  for (let i = 0; i < observed.length; i++) {
    const o = observed[i]
    const e = expected[i]
    if (!(o >= 0 && o < Infinity)) throw new RangeError(`${fn}: observed[${i}] = ${o} is not a finite count >= 0`)
    if (!(e >= 0 && e < Infinity)) throw new RangeError(`${fn}: expected[${i}] = ${e} is not finite and >= 0`)
    totalO += o
    totalE += e
  }
  // Against a different total the statistic measures the scale, not the shape.
  if (Math.abs(totalO - totalE) > 1e-8 * Math.max(totalO, totalE)) {
    throw new RangeError(`${fn}: observed total ${totalO} differs from expected total ${totalE}`)
  }

  const cellsO: number[] = []
  const cellsE: number[] = []
  let poolO = 0
  let poolE = 0
  let pooled = false
  for (let i = 0; i < observed.length; i++) {
    if (expected[i] < minExpected) {
      poolO += observed[i]
      poolE += expected[i]
      pooled = true
    } else {
      cellsO.push(observed[i])
      cellsE.push(expected[i])
    }
  }
  if (pooled && poolE >= minExpected) {
    cellsO.push(poolO)
    cellsE.push(poolE)
  } else if (pooled && cellsE.length > 0) {
    let iMin = 0
    for (let i = 1; i < cellsE.length; i++) if (cellsE[i] < cellsE[iMin]) iMin = i
    cellsO[iMin] += poolO
    cellsE[iMin] += poolE
  }

  const df = cellsE.length - 1 - ddof
  if (!(df >= 1)) {
    throw new RangeError(
      `${fn}: ${cellsE.length} cell(s) left after pooling and ddof = ${ddof} leave no degrees of freedom`,
    )
  }
  let statistic = 0
  for (let i = 0; i < cellsE.length; i++) statistic += (cellsO[i] - cellsE[i]) ** 2 / cellsE[i]
  const logPValue = logRegIncGammaUpper(df / 2, statistic / 2)
  return { statistic, df, pValue: Math.exp(logPValue), logPValue, cells: cellsE.length }
}
