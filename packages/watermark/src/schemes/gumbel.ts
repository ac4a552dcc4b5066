import type { Context } from '../context.js'
import type { Keyring } from '../keyring.js'
import { mixUnitOpen } from '../mix.js'
import { gather, kthLargest, truncate, type Candidates, type SampleOptions } from '../sampling.js'

/**
 * Gumbel-max watermark (Aaronson 2022; Fernandez et al. 2023): the token is
 * argmax r_x^(1/p_x) with keyed uniforms r_x, which is an exact draw from p over
 * the key, so the text distribution is unchanged. The score of a token is
 * -ln(1 - r_x), Exp(1) under the null.
 *
 * We store t = 1 - r (the mixer's value in (0, 1]) so that the score -ln t and
 * the race value -ln(1 - t) are both computed without cancellation.
 */
export function sampleGumbel(
  kr: Keyring,
  ctx: Context,
  logits: Float32Array,
  max: number,
  o: SampleOptions,
  c: Candidates,
): number {
  const k = o.topK ?? 0
  gather(logits, o.temperature === 0 ? max : k > 0 ? kthLargest(logits, k) : -Infinity, c)
  truncate(c, o)
  if (c.n === 1) return c.ids[0]
  const s0 = ctx.s0, s1 = ctx.s1
  const ids = c.ids, pr = c.prob
  // Exponential race: argmin E_x / p_x with E_x = -ln(1 - t_x). Since E >= t,
  // a candidate with t / p above the best race value cannot win, and the log is
  // only taken for the few that might.
  let best = Infinity
  let winner = ids[0]
  for (let i = 0; i < c.n; i++) {
    const p = pr[i]
    if (p === 0) continue
    const t = mixUnitOpen(s0, s1, ids[i])
    if (t >= best * p) continue
    const race = -Math.log1p(-t) / p
    if (race < best) {
      best = race
      winner = ids[i]
    }
  }
  return winner
}

/** Per-token score: -ln t, i.e. -ln(1 - r). */
export function gumbelScore(t: number): number {
  return -Math.log(t)
}
