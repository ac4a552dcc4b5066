import { keyringOf, type Watermarker } from '../session.js'
import { isOrderedRace, isRaceFingerprint } from '../spec.js'
import { COLOURS } from './code.js'
import { hashWindows } from '../window-hash.js'
import { colourOf, fingerprintStepFrom, fingerprintTuple, fingerprintWidth, newFingerprintStep } from './prf.js'
import { addOrderedSymbolScores, addSymbolScores } from './race.js'

/** Per-(position, byte) evidence of a text: what attribution decodes. */
export interface FingerprintVotes {
  /**
   * `counts[p * 256 + c]`. Colour-bias keys: unique tuples at position p whose
   * token has colour c (a Uint32Array). Race keys with the independent draw: the
   * sum over the unique tuples at position p of their gumbel score -ln(1 - r)
   * under byte value c (a Float64Array); each tuple adds Exp(1) to every byte value
   * it was not written with. The ordered draw gives the same values by another
   * route (see race.ts): 256 scores per tuple either way, since the decoder needs
   * the evidence for every byte (the argmin alone carries too little of it at low
   * entropy: measured, it named 16% of 100-token answers at temperature 0.6 where
   * the full scores name 31%).
   */
  counts: Uint32Array | Float64Array
  positions: number
  /** Unique (window, token) tuples that voted. */
  scored: number
}

/**
 * The exact evidence of one codeword, per position: the sum over the tuples at
 * position p of their race score -ln t under the codeword's byte at p (race keys),
 * or their count of matching colours (colour bias). What every p-value reads.
 */
export function codewordScores(votes: FingerprintVotes, codeword: Uint8Array): Float64Array {
  return Float64Array.from(codeword, (c, p) => votes.counts[p * COLOURS + c])
}

/** Pooling votes over many texts (a suspect model's answers). */
export interface VoteOptions {
  /** First position that votes; earlier tokens are context only (a prompt). */
  start?: number
  /** Tuples already counted, shared across texts so each votes once overall; updated in place. */
  seen?: Set<number>
  /** Tuples that never vote (those of inputs a suspect model was fed). */
  exclude?: ReadonlySet<number>
  /** Add to these votes (updated in place) instead of starting afresh. */
  into?: FingerprintVotes
}

/**
 * Counts, for each codeword position, the evidence for each byte value from the
 * tokens whose window carries it. Each unique tuple votes once (a repeat is the
 * same PRF draw).
 */
export function fingerprintVotes(wm: Watermarker, tokens: ArrayLike<number>, options: VoteOptions = {}): FingerprintVotes {
  const kr = keyringOf(wm)
  const f = kr.spec.fingerprint
  if (!f) throw new Error(`key ${wm.keyId} carries no fingerprint`)
  const race = isRaceFingerprint(f)
  const addScores = isOrderedRace(f) ? addOrderedSymbolScores : addSymbolScores
  const votes: FingerprintVotes = options.into ?? {
    counts: race ? new Float64Array(f.positions * COLOURS) : new Uint32Array(f.positions * COLOURS),
    positions: f.positions,
    scored: 0,
  }
  if (race !== votes.counts instanceof Float64Array) throw new TypeError('votes to add to were made under another fingerprint embedding')
  const counts = votes.counts
  const step = newFingerprintStep()
  const seen = options.seen ?? new Set<number>()
  const exclude = options.exclude
  const V = kr.spec.vocabSize
  const h = fingerprintWidth(kr.spec)
  const from = Math.max(h, options.start ?? 0)
  // Every window's digest in one batched pass (WebAssembly SipHash when available).
  const windows = Math.max(0, tokens.length - from)
  const digests = new Uint32Array(2 * windows)
  if (windows > 0) hashWindows(kr.fingerprintKey, from === h ? tokens : Array.prototype.slice.call(tokens, from - h), h, windows, digests)
  for (let i = from; i < tokens.length; i++) {
    const x = tokens[i]
    if (!(x >= 0 && x < V && Number.isInteger(x))) {
      throw new RangeError(`token at position ${i} (${x}) is outside the key's vocabulary of ${V}`)
    }
    fingerprintStepFrom(f, digests[2 * (i - from)], digests[2 * (i - from) + 1], step)
    const t = fingerprintTuple(step.s0, step.s1, x)
    if (seen.has(t) || exclude?.has(t)) continue
    seen.add(t)
    if (race) addScores(step, x, counts as Float64Array, step.position * COLOURS)
    else counts[step.position * COLOURS + colourOf(step.s0, step.s1, x)]++
    votes.scored++
  }
  return votes
}
