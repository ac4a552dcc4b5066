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

/**
 * Counts, for each codeword position, the colours of the tokens whose window
 * carries it. Each unique tuple votes once (a repeat is the same PRF draw).
 */
export function fingerprintVotes(wm: Watermarker, tokens: ArrayLike<number>): FingerprintVotes {
  const kr = keyringOf(wm)
  const f = kr.spec.fingerprint
  if (!f) throw new Error(`key ${wm.keyId} carries no fingerprint`)
  const counts = new Uint32Array(f.positions * COLOURS)
  const step = newFingerprintStep()
  const seen = new Set<number>()
  const V = kr.spec.vocabSize
  for (let i = f.h; i < tokens.length; i++) {
    const x = tokens[i]
    if (!(x >= 0 && x < V && Number.isInteger(x))) {
      throw new RangeError(`token at position ${i} (${x}) is outside the key's vocabulary of ${V}`)
    }
    fingerprintStepAt(kr, f, tokens, i, step)
    const t = fingerprintTuple(step.s0, step.s1, x)
    if (seen.has(t)) continue
    seen.add(t)
    counts[step.position * COLOURS + colourOf(step.s0, step.s1, x)]++
  }
  return { counts, positions: f.positions, scored: seen.size }
}
