import type { Context } from '../context.js'
import { selfTables, type Keyring } from '../keyring.js'
import { mixHi } from '../mix.js'
import { draw, keepNucleus, truncate, type Candidates, type SampleOptions } from '../sampling.js'
import type { KgwSpec, UnigramSpec } from '../spec.js'

/**
 * Green-list schemes: `kgw` (Kirchenbauer et al. 2023, green list per context)
 * and `unigram` (Zhao et al. 2023, one green list, i.e. kgw with no context).
 * A candidate is green when the first mixer lane falls below gamma * 2^32.
 */

type GreenSpec = KgwSpec | UnigramSpec

/** Lane values below this are green: P(green) = greenThreshold / 2^32 exactly. */
export function greenThreshold(gamma: number): number {
  return Math.ceil(gamma * 2 ** 32)
}

/** The exact green probability the null hypothesis uses (gamma rounded to 2^-32). */
export function greenProbability(gamma: number): number {
  return greenThreshold(gamma) / 2 ** 32
}

function isSelf(spec: GreenSpec): boolean {
  return spec.scheme === 'kgw' && spec.seeding === 'self'
}

/**
 * Adds delta to the green logits in place. Masked (-Infinity) logits stay masked
 * since -Infinity + delta is -Infinity.
 */
export function biasGreen(kr: Keyring, ctx: Context, logits: Float32Array): void {
  const spec = kr.spec as GreenSpec
  const thr = greenThreshold(spec.gamma)
  const delta = spec.delta
  const n = logits.length
  if (!isSelf(spec)) {
    const s0 = ctx.s0, s1 = ctx.s1
    for (let x = 0; x < n; x++) if (mixHi(s0, s1, x) < thr) logits[x] += delta
    return
  }
  const { rank, seed } = selfTables(kr)
  const a0 = ctx.anchor, ar = ctx.anchorRank
  const as0 = seed[2 * a0], as1 = seed[2 * a0 + 1]
  for (let x = 0; x < n; x++) {
    const r = rank[x]
    const own = r < ar || (r === ar && x < a0)
    const h = own ? mixHi(seed[2 * x], seed[2 * x + 1], x) : mixHi(as0, as1, x)
    if (h < thr) logits[x] += delta
  }
}

/** Whether candidate `x` is green under `ctx`. */
export function isGreen(kr: Keyring, ctx: Context, x: number): boolean {
  const spec = kr.spec as GreenSpec
  const thr = greenThreshold(spec.gamma)
  if (!isSelf(spec)) return mixHi(ctx.s0, ctx.s1, x) < thr
  const { rank, seed } = selfTables(kr)
  const r = rank[x]
  const a = r < ctx.anchorRank || (r === ctx.anchorRank && x < ctx.anchor) ? x : ctx.anchor
  return mixHi(seed[2 * a], seed[2 * a + 1], x) < thr
}

/**
 * Biases then samples with the host's options, from candidates selected with
 * slack delta (see `select`): only they are hashed. Over the full vocabulary the
 * bias is folded into the softmax pass (one pass, no copy).
 */
export function sampleGreen(
  kr: Keyring,
  ctx: Context,
  c: Candidates,
  max: number,
  o: SampleOptions,
  random: () => number,
): number {
  const delta = (kr.spec as GreenSpec).delta
  if (c.dense) {
    weighBiased(kr, ctx, c.src, max + delta, 1 / (o.temperature ?? 1), c)
    if ((o.topP ?? 1) < 1) keepNucleus(c, o.topP!)
    return draw(c, random)
  }
  for (let i = 0; i < c.n; i++) if (isGreen(kr, ctx, c.ids[i])) c.logit[i] += delta
  truncate(c, o)
  return draw(c, random)
}

/**
 * Dense softmax weights of the biased logits: exp((l + delta * green - top) / T),
 * where `top` bounds the biased maximum so no weight overflows.
 */
function weighBiased(kr: Keyring, ctx: Context, logits: Float32Array, top: number, inv: number, c: Candidates): void {
  const spec = kr.spec as GreenSpec
  const thr = greenThreshold(spec.gamma)
  const delta = spec.delta
  const n = logits.length, pr = c.prob
  let sum = 0
  if (!isSelf(spec)) {
    const s0 = ctx.s0, s1 = ctx.s1
    for (let x = 0; x < n; x++) {
      const l = mixHi(s0, s1, x) < thr ? logits[x] + delta : logits[x]
      const e = Math.exp((l - top) * inv)
      pr[x] = e
      sum += e
    }
  } else {
    const { rank, seed } = selfTables(kr)
    const a0 = ctx.anchor, ar = ctx.anchorRank
    const as0 = seed[2 * a0], as1 = seed[2 * a0 + 1]
    for (let x = 0; x < n; x++) {
      const r = rank[x]
      const own = r < ar || (r === ar && x < a0)
      const h = own ? mixHi(seed[2 * x], seed[2 * x + 1], x) : mixHi(as0, as1, x)
      const l = h < thr ? logits[x] + delta : logits[x]
      const e = Math.exp((l - top) * inv)
      pr[x] = e
      sum += e
    }
  }
  c.src = logits
  c.dense = true
  c.n = n
  c.sum = sum
}
