import { fmix32, mixHi, mixLo, mixUnitOpen } from '../mix.js'
import type { FingerprintStep } from './prf.js'

/**
 * The race embedding of a fingerprint (distortion-free): at a window carrying
 * codeword position p, the Gumbel race runs on uniforms keyed by the window AND
 * the byte the account's codeword has at p. For any fixed byte the uniforms are
 * fresh keyed draws, so the token is an exact sample from the model's
 * distribution whatever the account (the gumbel argument, per byte value).
 *
 * The detector does not know the byte: it scores every one of the 256 values.
 * Distinct byte values key distinct uniforms, so for a text not written with
 * byte s at that window the score under s is Exp(1), independent of the rest.
 */

/** Number of byte values a position can carry (one per GF(256) symbol). */
export const SYMBOLS = 256

// Separates the symbol seeds from the tuple ids, which mix token ids under the same words.
const SYMBOL_TAG = 0x5f3759df

/** The race seed of one window under byte value `symbol`, into `out.s0` / `out.s1`. */
export function symbolSeed(step: FingerprintStep, symbol: number, out: { s0: number; s1: number }): void {
  const v = (symbol ^ SYMBOL_TAG) | 0
  out.s0 = mixHi(step.s0, step.s1, v) | 0
  out.s1 = mixLo(step.s0, step.s1, v) | 0
}

const seed = { s0: 0, s1: 0 }

/**
 * The race value t = 1 - r of token `x` under every byte value, as the gumbel
 * score -ln t, added into `sums[offset + s]`. Returns the smallest t (for the
 * zero-bit statistic, see {@link raceMaxScore}).
 */
export function addSymbolScores(step: FingerprintStep, x: number, sums: Float64Array, offset: number): number {
  let min = 1
  for (let s = 0; s < SYMBOLS; s++) {
    symbolSeed(step, s, seed)
    const t = mixUnitOpen(seed.s0, seed.s1, x)
    if (t < min) min = t
    sums[offset + s] += -Math.log(t)
  }
  return min
}

/** The smallest race value t of token `x` over all byte values. */
export function minSymbolUniform(step: FingerprintStep, x: number): number {
  let min = 1
  for (let s = 0; s < SYMBOLS; s++) {
    symbolSeed(step, s, seed)
    const t = mixUnitOpen(seed.s0, seed.s1, x)
    if (t < min) min = t
  }
  return min
}

/**
 * The zero-bit score of one token under a race fingerprint: the best of its 256
 * race values, mapped through its exact null law to Exp(1). Under the null the
 * 256 values t_s are independent uniforms, so P(min t <= tau) = 1 - (1 - tau)^256
 * =: G(tau), G(min t) is uniform and -ln G(min t) is exactly Exp(1), like a plain
 * gumbel score: every consumer of gumbel scores (detect, scan, radioactivity)
 * keeps its exact Gamma null. The search over 256 values costs power per token.
 */
export function raceMaxScore(minT: number): number {
  // G = 1 - (1 - t)^256, without cancellation for small t.
  return -Math.log(-Math.expm1(SYMBOLS * Math.log1p(-minT)))
}

/*
 * The ordered draw (`draw: 'ordered'`, new race keys). The 256 uniforms t_0..t_255
 * of a (window, token) are drawn through their order statistics instead of one by
 * one: the minimum M first, then which byte holds it, then the other 255 given M.
 * That is the same joint law as 256 independent uniforms (the minimum of n i.i.d.
 * uniforms has P(M <= m) = 1 - (1 - m)^n, its index is uniform and independent of
 * it, and given both the others are i.i.d. uniform on (M, 1)), so each byte's race
 * is still an exact draw from p and each byte's scores are still Exp(1) under the
 * null. What changes is the cost of the zero-bit test: it needs only M, and
 * G(M) = 1 - (1 - M)^256 is the draw's own uniform U, so the best-of-256 score
 * -ln G(M) = -ln U costs one mixer call instead of 256.
 */

// Keys the (minimum, argmin) draw apart from every symbol seed (v ^ SYMBOL_TAG < 2^8 never equals it).
const MIN_TAG = 0x2545f491
const minSeed = { s0: 0, s1: 0 }

/** The (M, argmin) draw of one (window, token): U in (0, 1] and the byte holding the minimum. */
export interface OrderedMin {
  /** G(M), uniform in (0, 1]: the zero-bit score is -ln u. */
  u: number
  /** M = min over the 256 byte values of t. */
  m: number
  /** The byte value whose t is M. */
  argmin: number
}

export function newOrderedMin(): OrderedMin {
  return { u: 1, m: 1, argmin: 0 }
}

/** The window's (minimum, argmin) seed, into `out`. */
function orderedSeed(step: FingerprintStep, out: { s0: number; s1: number }): void {
  out.s0 = mixHi(step.s0, step.s1, MIN_TAG) | 0
  out.s1 = mixLo(step.s0, step.s1, MIN_TAG) | 0
}

/** Fills out.u = G(M) (uniform in (0, 1], the token's zero-bit draw) and out.argmin, not out.m. */
function minDraw(step: FingerprintStep, x: number, out: OrderedMin): void {
  orderedSeed(step, minSeed)
  const hi = mixHi(minSeed.s0, minSeed.s1, x)
  const lo = mixLo(minSeed.s0, minSeed.s1, x)
  // 53 bits for U from hi and lo's top 21 bits; lo's low 8 bits (independent of them) pick the argmin.
  out.u = hi * 2 ** -32 + ((lo >>> 11) + 1) * 2 ** -53
  out.argmin = lo & 0xff
}

/** Inverse of G: M = 1 - (1 - U)^(1/256), without cancellation for small U. */
function minimumOf(u: number): number {
  return -Math.expm1(Math.log1p(-u) / SYMBOLS)
}

/** The ordered draw's (U, M, argmin) of token `x` at this window, into `out`. */
export function orderedMin(step: FingerprintStep, x: number, out: OrderedMin): void {
  minDraw(step, x, out)
  out.m = minimumOf(out.u)
}

const om = newOrderedMin()

/** The zero-bit score of token `x` under the ordered draw: -ln G(M) = -ln U, exactly Exp(1) under the null. */
export function orderedZeroBitScore(step: FingerprintStep, x: number): number {
  minDraw(step, x, om)
  return -Math.log(om.u)
}

/**
 * t of token `x` under byte value `symbol` (the race value the session uses). Since
 * 1 - (1 - M)^256 <= 256 M, every t is at least M >= U / 256: a caller racing
 * against `bound` gets U / 256 back, without M or a second mixer call, whenever
 * that already loses (>= bound).
 */
export function orderedUniform(step: FingerprintStep, symbol: number, x: number, bound: number): number {
  minDraw(step, x, om)
  if (om.u / SYMBOLS >= bound) return om.u / SYMBOLS
  const m = minimumOf(om.u)
  return om.argmin === symbol ? m : nonMinimum(step, symbol, x, m)
}

/** The score -ln t, under byte value `symbol`, of a (window seed, token) whose ordered draw is (M, argmin). */
export function orderedScoreFrom(s0: number, s1: number, x: number, m: number, argmin: number, symbol: number): number {
  return -Math.log(symbol === argmin ? m : m + (1 - m) * maskedUniform(s0, s1, symbol, x))
}

/**
 * Per-byte masks of the window seed for the non-minimum values. Why masks and
 * not {@link symbolSeed}: votes read all 256 values of every tuple, and a masked
 * seed costs no mixer call (the nonce streams of gumbel keys are drawn the same
 * way). The window seed is a keyed PRF output, so each masked seed is as uniform
 * as it is; the masks are public constants (fmix32 of odd numbers, distinct and
 * non-zero, so no byte reuses the unmasked seed of the tuple identities).
 */
const SYMBOL_MASK = (() => {
  const m = new Int32Array(2 * SYMBOLS)
  for (let i = 0; i < m.length; i++) m[i] = fmix32(Math.imul(2 * i + 1, 0x9e3779b1) ^ 0x3c6ef372)
  return m
})()

/** Byte `symbol`'s keyed uniform V of token `x` in the window seeded (s0, s1). */
function maskedUniform(s0: number, s1: number, symbol: number, x: number): number {
  return mixUnitOpen(s0 ^ SYMBOL_MASK[2 * symbol], s1 ^ SYMBOL_MASK[2 * symbol + 1], x)
}

/** t of a byte value that does not hold the minimum: M + (1 - M) V, uniform on (M, 1] given M. */
function nonMinimum(step: FingerprintStep, symbol: number, x: number, m: number): number {
  return m + (1 - m) * maskedUniform(step.s0, step.s1, symbol, x)
}

/**
 * {@link addSymbolScores} under the ordered draw: the score -ln t of token `x`
 * under every byte value, added into `sums[offset + s]`.
 */
export function addOrderedSymbolScores(step: FingerprintStep, x: number, sums: Float64Array, offset: number): void {
  orderedMin(step, x, om)
  const m = om.m
  for (let s = 0; s < SYMBOLS; s++) sums[offset + s] += -Math.log(s === om.argmin ? m : nonMinimum(step, s, x, m))
}
