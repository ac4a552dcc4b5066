import type { Context } from '../context.js'
import type { Keyring } from '../keyring.js'
import { mixLo } from '../mix.js'
import { draw, gather, kthLargest, truncate, type Candidates, type SampleOptions } from '../sampling.js'
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
  logits: Float32Array,
  max: number,
  o: SampleOptions,
  c: Candidates,
  random: () => number,
): number {
  const depth = (kr.spec as SynthIdSpec).depth
  const k = o.topK ?? 0
  gather(logits, o.temperature === 0 ? max : k > 0 ? kthLargest(logits, k) : -Infinity, c)
  truncate(c, o)
  if (c.n === 1) return c.ids[0]
  const n = c.n, ids = c.ids, pr = c.prob, g = c.aux
  const s0 = ctx.s0, s1 = ctx.s1
  for (let i = 0; i < n; i++) g[i] = mixLo(s0, s1, ids[i])
  for (let l = 0; l < depth; l++) {
    let G = 0
    for (let i = 0; i < n; i++) G += pr[i] * ((g[i] >>> l) & 1)
    for (let i = 0; i < n; i++) pr[i] *= 1 + ((g[i] >>> l) & 1) - G
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
