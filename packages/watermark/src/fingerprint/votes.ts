import { keyringOf, type Watermarker } from '../session.js'
import { COLOURS } from './code.js'
import { colourOf, fingerprintStepAt, fingerprintTuple, newFingerprintStep } from './prf.js'

/** Colour votes of a text, per codeword position: what attribution decodes. */
export interface FingerprintVotes {
  /** `counts[p * 256 + c]`: unique tuples at position p whose token has colour c. */
  counts: Uint32Array
  positions: number
  /** Unique (window, token) tuples that voted. */
  scored: number
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
 * Counts, for each codeword position, the colours of the tokens whose window
 * carries it. Each unique tuple votes once (a repeat is the same PRF draw).
 */
export function fingerprintVotes(wm: Watermarker, tokens: ArrayLike<number>, options: VoteOptions = {}): FingerprintVotes {
  const kr = keyringOf(wm)
  const f = kr.spec.fingerprint
  if (!f) throw new Error(`key ${wm.keyId} carries no fingerprint`)
  const votes = options.into ?? { counts: new Uint32Array(f.positions * COLOURS), positions: f.positions, scored: 0 }
  const counts = votes.counts
  const step = newFingerprintStep()
  const seen = options.seen ?? new Set<number>()
  const exclude = options.exclude
  const V = kr.spec.vocabSize
  for (let i = Math.max(f.h, options.start ?? 0); i < tokens.length; i++) {
    const x = tokens[i]
    if (!(x >= 0 && x < V && Number.isInteger(x))) {
      throw new RangeError(`token at position ${i} (${x}) is outside the key's vocabulary of ${V}`)
    }
    fingerprintStepAt(kr, f, tokens, i, step)
    const t = fingerprintTuple(step.s0, step.s1, x)
    if (seen.has(t) || exclude?.has(t)) continue
    seen.add(t)
    counts[step.position * COLOURS + colourOf(step.s0, step.s1, x)]++
    votes.scored++
  }
  return votes
}
