import { deriveSubkey, type WatermarkKey } from './keys.js'
import { siphashWords, sipKeyFromBytes } from './siphash.js'
import type { WatermarkSpec } from './spec.js'

/**
 * Key material derived once per watermarker: subkeys by purpose and, for SelfHash
 * seeding, per-token tables. Internal: holds secret-derived values.
 */
export interface Keyring {
  readonly spec: WatermarkSpec
  /** SipHash key for context windows. */
  readonly window: Uint32Array
  /** Seed used when a scheme has no context (unigram). */
  readonly fixed0: number
  readonly fixed1: number
  /** SipHash key for fingerprint position selection etc. (reserved per purpose). */
  readonly tokenKey: Uint32Array
  /** SelfHash tables, built on first use: keyed rank of each token, and its seed words. */
  rank: Int32Array | null
  seed: Int32Array | null
}

export function makeKeyring(key: WatermarkKey): Keyring {
  const window = sipKeyFromBytes(deriveSubkey(key, 'window-prf'))
  const fixed = sipKeyFromBytes(deriveSubkey(key, 'fixed-seed'))
  return {
    spec: key.spec,
    window,
    fixed0: fixed[0] | 0,
    fixed1: fixed[1] | 0,
    tokenKey: sipKeyFromBytes(deriveSubkey(key, 'token-table')),
    rank: null,
    seed: null,
  }
}

/**
 * The SelfHash tables: one SipHash per token id, computed once (~20 ms for a
 * 100k vocabulary) so that a step costs a table lookup per candidate instead of
 * a SipHash per candidate.
 */
export function selfTables(kr: Keyring): { rank: Int32Array; seed: Int32Array } {
  if (kr.rank && kr.seed) return { rank: kr.rank, seed: kr.seed }
  const v = kr.spec.vocabSize
  const rank = new Int32Array(v)
  const seed = new Int32Array(2 * v)
  const one = new Uint32Array(2)
  const out = new Uint32Array(2)
  for (let t = 0; t < v; t++) {
    one[0] = t
    one[1] = 0x72616e6b // "rank": the rank and the seed come from distinct inputs
    siphashWords(kr.tokenKey, one, 0, 2, out)
    // Ranks compare as signed int32; flipping the sign bit keeps the unsigned order.
    rank[t] = out[0] ^ -0x80000000
    one[1] = 0x73656564 // "seed"
    siphashWords(kr.tokenKey, one, 0, 2, out)
    seed[2 * t] = out[0]
    seed[2 * t + 1] = out[1]
  }
  kr.rank = rank
  kr.seed = seed
  return { rank, seed }
}
