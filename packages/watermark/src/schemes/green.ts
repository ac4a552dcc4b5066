import { candidateSeed, type Context } from '../context.js'
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

const masks = new WeakMap<Keyring, Uint8Array>()

/**
 * The green list of one context over the whole vocabulary (1 = green), in a buffer
 * reused per watermarker. SelfHash decides per candidate: a token whose keyed
 * rank beats the window's anchor seeds itself, else the anchor's seed applies.
 */
function greenMask(kr: Keyring, ctx: Context): Uint8Array {
  const n = kr.spec.vocabSize
  let mask = masks.get(kr)
  if (!mask) masks.set(kr, (mask = new Uint8Array(n)))
  const thr = greenThreshold((kr.spec as GreenSpec).gamma)
  if (!isSelf(kr.spec as GreenSpec)) {
    const s0 = ctx.s0, s1 = ctx.s1
    for (let x = 0; x < n; x++) mask[x] = mixHi(s0, s1, x) < thr ? 1 : 0
    return mask
  }
  const { rank, seed } = selfTables(kr)
  const a0 = ctx.anchor, ar = ctx.anchorRank
  const as0 = seed[2 * a0], as1 = seed[2 * a0 + 1]
  for (let x = 0; x < n; x++) {
    const r = rank[x]
    const own = r < ar || (r === ar && x < a0)
    mask[x] = (own ? mixHi(seed[2 * x], seed[2 * x + 1], x) : mixHi(as0, as1, x)) < thr ? 1 : 0
  }
  return mask
}

/**
 * Adds delta to the green logits in place. Masked (-Infinity) logits stay masked
 * since -Infinity + delta is -Infinity.
 */
export function biasGreen(kr: Keyring, ctx: Context, logits: Float32Array): void {
  const delta = (kr.spec as GreenSpec).delta
  const mask = greenMask(kr, ctx)
  for (let x = 0; x < logits.length; x++) if (mask[x]) logits[x] += delta
}

const one = new Int32Array(2)

/** Whether candidate `x` is green under `ctx` (the same rule as the mask, for one token). */
export function isGreen(kr: Keyring, ctx: Context, x: number): boolean {
  candidateSeed(kr, ctx, x, one)
  return mixHi(one[0], one[1], x) < greenThreshold((kr.spec as GreenSpec).gamma)
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
  const delta = (kr.spec as GreenSpec).delta
  const mask = greenMask(kr, ctx)
  const n = logits.length, pr = c.prob
  let sum = 0
  for (let x = 0; x < n; x++) {
    const e = Math.exp((mask[x] ? logits[x] + delta - top : logits[x] - top) * inv)
    pr[x] = e
    sum += e
  }
  c.src = logits
  c.dense = true
  c.n = n
  c.sum = sum
}
