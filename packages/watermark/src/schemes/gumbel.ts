import type { Context } from '../context.js'
import type { Keyring } from '../keyring.js'
import { mixUnitOpen } from '../mix.js'
import { idOf, truncate, type Candidates, type SampleOptions } from '../sampling.js'
import type { FingerprintStep } from '../fingerprint/prf.js'
import { orderedUniform } from '../fingerprint/race.js'

/** A race fingerprint's ordered draw: the race runs on byte `symbol`'s uniforms of the window `step`. */
export interface OrderedRace {
  step: FingerprintStep
  symbol: number
}

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
  c: Candidates,
  max: number,
  o: SampleOptions,
  ordered: OrderedRace | null = null,
): number {
  const t = o.temperature ?? 1
  if (c.dense && t !== 0 && (o.topP ?? 1) === 1) return raceDense(ctx, c.src, max, 1 / t, ordered)
  truncate(c, o, max)
  if (c.n === 1) return idOf(c, 0)
  const s0 = ctx.s0, s1 = ctx.s1
  const pr = c.prob
  // Exponential race: argmin E_x / p_x with E_x = -ln(1 - t_x) (p unnormalized:
  // the argmin does not depend on the scale). Since E >= t,
  // a candidate with t / p above the best race value cannot win, and the log is
  // only taken for the few that might.
  let best = Infinity
  let winner = idOf(c, 0)
  for (let i = 0; i < c.n; i++) {
    const p = pr[i]
    if (p === 0) continue
    const x = idOf(c, i)
    const t = ordered ? orderedUniform(ordered.step, ordered.symbol, x, best * p) : mixUnitOpen(s0, s1, x)
    if (t >= best * p) continue
    const race = -Math.log1p(-t) / p
    if (race < best) {
      best = race
      winner = x
    }
  }
  return winner
}

/**
 * The race over the whole vocabulary fused with the softmax weights: one pass,
 * one exp per token (what the host's own softmax costs) and no draw pass.
 */
function raceDense(ctx: Context, logits: Float32Array, max: number, inv: number, ordered: OrderedRace | null): number {
  const s0 = ctx.s0, s1 = ctx.s1
  let best = Infinity
  let winner = -1
  for (let x = 0; x < logits.length; x++) {
    const p = Math.exp((logits[x] - max) * inv)
    if (p === 0) continue
    const t = ordered ? orderedUniform(ordered.step, ordered.symbol, x, best * p) : mixUnitOpen(s0, s1, x)
    if (t >= best * p) continue
    const race = -Math.log1p(-t) / p
    if (race < best) {
      best = race
      winner = x
    }
  }
  return winner
}

/** Per-token score: -ln t, i.e. -ln(1 - r). */
export function gumbelScore(t: number): number {
  return -Math.log(t)
}
