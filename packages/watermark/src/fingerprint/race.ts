import { mixHi, mixLo, mixUnitOpen } from '../mix.js'
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
