import { tokenRank, tokenSeed, type Keyring } from './keyring.js'
import { siphashWords } from './siphash.js'
import { contextWidth } from './spec.js'

/**
 * The pseudo-random context of one decoding position, shared by every candidate
 * at that position. With `left` seeding all candidates share (s0, s1); with
 * SelfHash a candidate whose rank beats the window's anchor seeds itself.
 */
export interface Context {
  s0: number
  s1: number
  /** SelfHash only: the window token with the smallest keyed rank, and that rank. */
  anchor: number
  anchorRank: number
  /** Identity of the window (keyed hash, 52 bits): repeated windows are skipped. */
  windowKey: number
}

export function newContext(): Context {
  return { s0: 0, s1: 0, anchor: -1, anchorRank: 0, windowKey: 0 }
}

const scratch = new Uint32Array(2)

/** Whether `kr`'s scheme seeds each candidate separately (KGW SelfHash). */
export function isSelfSeeded(kr: Keyring): boolean {
  return kr.spec.scheme === 'kgw' && kr.spec.seeding === 'self'
}

/**
 * Fills `ctx` for the position after `tokens[end - 1]`, i.e. the window
 * `tokens[end - h .. end)`. Callers guarantee `end >= h`.
 */
export function contextAt(
  kr: Keyring,
  tokens: ArrayLike<number>,
  end: number,
  ctx: Context,
  wantWindowKey = true,
): void {
  const h = contextWidth(kr.spec)
  if (h === 0) {
    ctx.s0 = kr.fixed0
    ctx.s1 = kr.fixed1
    ctx.windowKey = 0
    return
  }
  const self = isSelfSeeded(kr)
  // SelfHash scoring needs no window hash: skipping it halves the detector's cost.
  if (!self || wantWindowKey) {
    siphashWords(kr.window, tokens, end - h, h, scratch)
    ctx.s0 = scratch[0] | 0
    ctx.s1 = scratch[1] | 0
    ctx.windowKey = (scratch[1] >>> 12) * 2 ** 32 + scratch[0]
  }
  if (self) {
    let a = tokens[end - h]
    let ar = tokenRank(kr, a)
    for (let i = end - h + 1; i < end; i++) {
      const t = tokens[i]
      const r = tokenRank(kr, t)
      if (r < ar || (r === ar && t < a)) {
        a = t
        ar = r
      }
    }
    ctx.anchor = a
    ctx.anchorRank = ar
  }
}

/**
 * Writes the seed words of candidate `x` under `ctx` into `out` ([s0, s1]).
 * Only SelfHash makes this differ between candidates; hot loops inline it.
 */
export function candidateSeed(kr: Keyring, ctx: Context, x: number, out: Int32Array): void {
  if (!isSelfSeeded(kr)) {
    out[0] = ctx.s0
    out[1] = ctx.s1
    return
  }
  const r = tokenRank(kr, x)
  const a = r < ctx.anchorRank || (r === ctx.anchorRank && x < ctx.anchor) ? x : ctx.anchor
  tokenSeed(kr, a, out)
}
