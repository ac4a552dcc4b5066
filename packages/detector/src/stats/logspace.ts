/**
 * Arithmetic on probabilities held as natural logarithms.
 *
 * The detector's p-values routinely fall below the smallest double (~1e-308), so
 * sums and complements have to be formed without ever leaving log space.
 */

/**
 * ln(1 + e^x), exact to double precision for every finite x.
 *
 * @remarks Cut-offs from Mächler (2012), "Accurately computing log(1 − exp(−|a|))":
 * below −37, log1p(e^x) equals e^x to double precision; above 33.3, the e^−x
 * correction drops below half an ulp of x; in between, exp(x) cannot overflow.
 */
export function log1pExp(x: number): number {
  if (Number.isNaN(x)) throw new RangeError('log1pExp: x is NaN')
  if (x <= -37) return Math.exp(x)
  if (x <= 18) return Math.log1p(Math.exp(x))
  if (x <= 33.3) return x + Math.exp(-x)
  return x
}

/**
 * ln(1 − e^x) for x ≤ 0: the log of the complement of a probability given as a log.
 *
 * @remarks Near 0 the complement is tiny, and only −expm1(x) still holds its digits;
 * far below, e^x is tiny, and only log1p(−e^x) does. Switching at −ln 2 keeps the
 * result within a few ulps everywhere (Mächler 2012). Returns −Infinity at x = 0
 * and 0 at x = −Infinity.
 * @throws RangeError if x > 0 or x is NaN (no probability has a positive log).
 */
export function log1mExp(x: number): number {
  if (!(x <= 0)) throw new RangeError(`log1mExp: x must be <= 0, got ${x}`)
  const r = x > -Math.LN2 ? Math.log(-Math.expm1(x)) : Math.log1p(-Math.exp(x))
  // log1p(−0) is −0 once e^x underflows; report a plain 0 ("certain").
  return r === 0 ? 0 : r
}

/**
 * ln(e^a + e^b), exact to double precision, with −Infinity as the log of 0.
 * @throws RangeError if a or b is NaN.
 */
export function logAddExp(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) throw new RangeError('logAddExp: NaN argument')
  const hi = a > b ? a : b
  const lo = a > b ? b : a
  if (hi === -Infinity || hi === Infinity) return hi
  return hi + log1pExp(lo - hi)
}

/**
 * ln Σ e^(values[i]), exact to double precision, with −Infinity for an empty list
 * or a list of −Infinity.
 *
 * @remarks The largest term is factored out so nothing overflows, and it is kept
 * out of the inner sum so that log1p(rest) still resolves a result close to 0
 * (e.g. the log of P + (1 − P)).
 * @throws RangeError if any value is NaN.
 */
export function logSumExp(values: ArrayLike<number>): number {
  let iMax = -1
  let max = -Infinity
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    if (Number.isNaN(v)) throw new RangeError(`logSumExp: values[${i}] is NaN`)
    if (iMax < 0 || v > max) {
      max = v
      iMax = i
    }
  }
  if (max === -Infinity || max === Infinity) return max
  let rest = 0
  for (let i = 0; i < values.length; i++) if (i !== iMax) rest += Math.exp(values[i] - max)
  return max + Math.log1p(rest)
}
