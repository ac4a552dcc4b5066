/**
 * Shared test utilities for the exact-statistics tests: a seeded PRNG, a
 * relative-error matcher for log-probabilities, and exact rational arithmetic
 * on BigInt for independent references.
 */
import { sfc32 as sfc32Base } from '@tracemark/watermark'
import { expect } from 'vitest'

/**
 * The watermark package's sfc32, shifted by half a step so 0 never comes out
 * (the stats tests take logs). A fixed seed gives the same stream on every run
 * and platform, so any statistic computed from it is a fixed number: a threshold
 * assertion on it cannot flake. (t + 0.5) / 2^32 is exact in double precision.
 */
export function sfc32(a: number, b: number, c: number, d: number): () => number {
  const next = sfc32Base(a, b, c, d)
  return () => next() + 0.5 / 4294967296
}

/** Asserts |got − want| ≤ rel·|want| (exact equality for 0 and ±Infinity, with −0 = 0). */
export function expectRelClose(got: number, want: number, rel: number, label = ''): void {
  if (want === 0) {
    expect(got === 0, `${label}: got ${got}, want 0`).toBe(true)
    return
  }
  if (!Number.isFinite(want)) {
    expect(got, label).toBe(want)
    return
  }
  const err = Math.abs(got - want) / Math.abs(want)
  if (!(err <= rel)) {
    expect.fail(`${label}: got ${got}, want ${want}, relative error ${err.toExponential(2)} > ${rel}`)
  }
}

/** The double x as an exact fraction num/den (every finite double is a dyadic rational). */
export function toRational(x: number): { num: bigint; den: bigint } {
  let e = 0
  while (!Number.isInteger(x * 2 ** e)) e++
  return { num: BigInt(x * 2 ** e), den: 2n ** BigInt(e) }
}

/** A positive BigInt as mant · 2^shift with mant < 2^64, so Number(mant) rounds only once. */
function split(x: bigint): { mant: number; shift: number } {
  const shift = Math.max(0, x.toString(2).length - 64)
  return { mant: Number(x >> BigInt(shift)), shift }
}

/** num/den as a double (for ratios that are representable). */
function ratio(num: bigint, den: bigint): number {
  const n = split(num)
  const d = split(den)
  return (n.mant / d.mant) * 2 ** (n.shift - d.shift)
}

/**
 * ln(num/den) of positive BigInts to double precision. Near 1 the log is taken of
 * the exact difference, log1p((num − den)/den), so a result like −1e-25 keeps all
 * its digits; elsewhere the power-of-two parts are subtracted exactly first.
 */
export function logRatio(num: bigint, den: bigint): number {
  if (2n * num > den && num < 2n * den) {
    const diff = num - den
    return diff === 0n ? 0 : diff > 0n ? Math.log1p(ratio(diff, den)) : Math.log1p(-ratio(-diff, den))
  }
  const n = split(num)
  const d = split(den)
  return Math.log(n.mant / d.mant) + (n.shift - d.shift) * Math.LN2
}

/** Binomial coefficient C(n, k) exactly. */
export function binomBig(n: number, k: number): bigint {
  let c = 1n
  for (let i = 0; i < k; i++) c = (c * BigInt(n - i)) / BigInt(i + 1)
  return c
}
