import { deriveSubkey, type WatermarkKey } from './keys.js'
import { siphashWords, sipKeyFromBytes } from './siphash.js'
import { gumbelNonces, type WatermarkSpec } from './spec.js'

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
  /** SipHash key of the SelfHash per-token tables. */
  readonly tokenKey: Uint32Array
  /** SipHash key of the fingerprint's window PRF (position and colours). */
  readonly fingerprintKey: Uint32Array
  /**
   * Gumbel nonces: words xored into the window seed for nonce ν at [2ν], [2ν + 1];
   * nonce 0 is (0, 0), the stream of a key without nonces. Null for one stream.
   */
  readonly nonceMask: Int32Array | null
  /** SelfHash tables, built on first use: keyed rank of each token, and its seed words. */
  rank: Int32Array | null
  seed: Int32Array | null
  /** Token hashes computed without tables so far (see {@link tokenRank}). */
  directCalls: number
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
    fingerprintKey: sipKeyFromBytes(deriveSubkey(key, 'fingerprint-prf')),
    nonceMask: nonceMasks(key),
    rank: null,
    seed: null,
    directCalls: 0,
  }
}

/**
 * The per-nonce seed masks of a gumbel key with N > 1 nonces: keyed SipHash of the
 * nonce under a subkey of its own, so the masks are secret and pseudo-independent.
 * A window's seed for nonce ν is its keyed window hash xored with mask ν; the mixer
 * then spreads that seed over candidates exactly as it spreads the window seed.
 */
function nonceMasks(key: WatermarkKey): Int32Array | null {
  const n = gumbelNonces(key.spec)
  if (n <= 1) return null
  const sk = sipKeyFromBytes(deriveSubkey(key, 'gumbel-nonce'))
  const masks = new Int32Array(2 * n)
  const word = new Uint32Array(1)
  const out = new Uint32Array(2)
  for (let v = 1; v < n; v++) {
    word[0] = v
    siphashWords(sk, word, 0, 1, out)
    masks[2 * v] = out[0] | 0
    masks[2 * v + 1] = out[1] | 0
  }
  return masks
}

const RANK_TAG = 0x72616e6b // "rank": a token's rank and its seed hash distinct inputs
const SEED_TAG = 0x73656564 // "seed"
const msg = new Uint32Array(2)
const digest = new Uint32Array(2)

function hashToken(kr: Keyring, t: number, tag: number): void {
  msg[0] = t
  msg[1] = tag
  siphashWords(kr.tokenKey, msg, 0, 2, digest)
}

/**
 * The SelfHash tables: a keyed rank and seed per token id, computed once (~40 ms
 * for a 100k vocabulary) so that an embedding step costs a table lookup per
 * candidate instead of two SipHash calls.
 */
export function selfTables(kr: Keyring): { rank: Int32Array; seed: Int32Array } {
  if (kr.rank && kr.seed) return { rank: kr.rank, seed: kr.seed }
  const v = kr.spec.vocabSize
  const rank = new Int32Array(v)
  const seed = new Int32Array(2 * v)
  for (let t = 0; t < v; t++) {
    hashToken(kr, t, RANK_TAG)
    // Ranks compare as signed int32; flipping the sign bit keeps the unsigned order.
    rank[t] = digest[0] ^ -0x80000000
    hashToken(kr, t, SEED_TAG)
    seed[2 * t] = digest[0]
    seed[2 * t + 1] = digest[1]
  }
  kr.rank = rank
  kr.seed = seed
  return { rank, seed }
}

/**
 * Hashes computed without the tables. Scoring a short text needs a few hundred
 * token hashes, far fewer than a table; once the direct hashes would have paid
 * for the table (two per vocabulary entry), the table is built (ski rental).
 */
function direct(kr: Keyring): boolean {
  if (kr.rank) return false
  kr.directCalls++
  if (kr.directCalls > 2 * kr.spec.vocabSize) {
    selfTables(kr)
    return false
  }
  return true
}

/** Keyed SelfHash rank of token `t` (signed-int32 order). */
export function tokenRank(kr: Keyring, t: number): number {
  if (!direct(kr)) return kr.rank![t]
  hashToken(kr, t, RANK_TAG)
  return digest[0] ^ -0x80000000
}

/** Keyed SelfHash seed words of token `t`, into `out`. */
export function tokenSeed(kr: Keyring, t: number, out: Int32Array): void {
  if (!direct(kr)) {
    out[0] = kr.seed![2 * t]
    out[1] = kr.seed![2 * t + 1]
    return
  }
  hashToken(kr, t, SEED_TAG)
  out[0] = digest[0]
  out[1] = digest[1]
}
