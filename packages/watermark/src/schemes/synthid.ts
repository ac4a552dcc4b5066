import type { Context } from '../context.js'
import type { Keyring } from '../keyring.js'
import { mixLo } from '../mix.js'
import { draw, idOf, truncate, type Candidates, type SampleOptions } from '../sampling.js'
import type { SynthIdSpec } from '../spec.js'

/**
 * SynthID-Text tournament sampling (Dathathri et al., Nature 2024), in its exact
 * vectorized form. A layer of the tournament draws two candidates from p and
 * keeps the one with the larger g-bit (a fair coin on ties); the winner's law is
 *   p'(x) = p(x) * (1 + g(x) - G),  G = sum_y p(y) g(y),
 * so m layers are m passes over the candidates instead of 2^m draws. Averaged
 * over keys, E[g(x) - G] = 0 in every layer, so the output is distributed as p
 * (non-distortionary). Bit l of the second mixer lane is the g-bit of layer l.
 */
export function sampleSynthId(
  kr: Keyring,
  ctx: Context,
  c: Candidates,
  max: number,
  o: SampleOptions,
  random: () => number,
): number {
  const depth = (kr.spec as SynthIdSpec).depth
  truncate(c, o, max)
  if (c.n === 1) return idOf(c, 0)
  const n = c.n, pr = c.prob, g = c.aux
  const s0 = ctx.s0, s1 = ctx.s1
  // Normalize once (each layer's update keeps the total at 1) and, in the same
  // pass, accumulate layer 0's G; each later pass updates layer l and sums the
  // G of layer l + 1, so m layers cost m + 1 passes.
  const inv = 1 / c.sum
  let G = 0
  for (let i = 0; i < n; i++) {
    const w = mixLo(s0, s1, idOf(c, i))
    g[i] = w
    pr[i] *= inv
    G += pr[i] * (w & 1)
  }
  c.sum = 1
  for (let l = 0; l < depth; l++) {
    const Gl = G
    G = 0
    const next = l + 1
    for (let i = 0; i < n; i++) {
      const w = g[i]
      const p = pr[i] * (1 + ((w >>> l) & 1) - Gl)
      pr[i] = p
      G += p * ((w >>> next) & 1)
    }
  }
  return draw(c, random)
}

/** Number of set bits among the low `depth` bits of a g-word: the token's score. */
export function synthIdScore(word: number, depth: number): number {
  let v = depth === 32 ? word >>> 0 : (word & ((1 << depth) - 1)) >>> 0
  v = v - ((v >>> 1) & 0x55555555)
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333)
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24)
}
