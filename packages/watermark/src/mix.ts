/**
 * The per-candidate mixer: from a 64-bit context seed (two int32 words, the
 * keyed SipHash of the window) and a candidate token id, two 32-bit values that
 * behave as independent uniform draws.
 *
 * The window seed is already a keyed PRF output; the mixer only has to spread it
 * over candidates, so a SipHash per candidate (~180 ns) would waste the budget of
 * a full-vocabulary step. Each lane is the murmur3 finalizer (a bijection with
 * full avalanche) of the token xored with one seed word, multiplied, and xored
 * with the other seed word: for a uniform seed each lane is exactly uniform, and
 * the two lanes mix the seed words in opposite roles so neither determines the
 * other. Distinct tokens under one seed give distinct values in each lane.
 */

/** The murmur3 32-bit finalizer: a bijection with full avalanche (fmix32(0) = 0). */
export function fmix32(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return h ^ (h >>> 16)
}

/** First lane (uint32): the value schemes compare against a threshold (green lists). */
export function mixHi(s0: number, s1: number, token: number): number {
  return fmix32(Math.imul(token ^ s0, 0x9e3779b1) ^ s1) >>> 0
}

/** Second lane (uint32), independent of {@link mixHi} for a uniform seed: g-bits, low bits of uniforms. */
export function mixLo(s0: number, s1: number, token: number): number {
  return fmix32(Math.imul(token ^ s1, 0x7feb352d) ^ s0 ^ 0x68e31da4) >>> 0
}

const TWO_M32 = 2 ** -32
const TWO_M53 = 2 ** -53

/**
 * A 53-bit uniform in (0, 1] built from both lanes: never 0, so -ln(t) is finite
 * and the Gumbel score's tail is exact down to 2^-53.
 */
export function mixUnitOpen(s0: number, s1: number, token: number): number {
  return mixHi(s0, s1, token) * TWO_M32 + ((mixLo(s0, s1, token) >>> 11) + 1) * TWO_M53
}
