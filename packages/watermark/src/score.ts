import { candidateSeed, contextAt, isSelfSeeded, newContext } from './context.js'
import { keyringOf, type Watermarker } from './session.js'
import { mixHi, mixLo } from './mix.js'
import { greenProbability, greenThreshold } from './schemes/green.js'
import { gumbelScore } from './schemes/gumbel.js'
import { synthIdScore } from './schemes/synthid.js'
import { contextWidth, gumbelNonces, isOrderedRace, isRaceFingerprint, type WatermarkSpec } from './spec.js'
import { fingerprintStepFrom, newFingerprintStep } from './fingerprint/prf.js'
import { minSymbolUniform, orderedZeroBitScore, raceMaxScore } from './fingerprint/race.js'
import { DIGEST_CHUNK, hashWindows } from './window-hash.js'

const windowDigests = new Uint32Array(2 * DIGEST_CHUNK)
const raceDigests = new Uint32Array(2 * DIGEST_CHUNK)
// Per-call state, reused: nothing in a call can call back into scoreTokens.
const scratchContext = newContext()
const scratchSeed = new Int32Array(2)
const scratchStep = newFingerprintStep()

/**
 * The law of one scored tuple's score when the text does not depend on the key:
 * `binomial` — the score is a count of successes in `trials` fair-to-`p` draws;
 * `gamma` — the score is Exp(1), so a sum of n is Gamma(n, 1).
 */
export type NullModel = { kind: 'binomial'; p: number; trials: number } | { kind: 'gamma' }

/** The null distribution of a single tuple's score for a spec. */
export function nullModel(spec: WatermarkSpec): NullModel {
  switch (spec.scheme) {
    case 'kgw':
    case 'unigram':
      return { kind: 'binomial', p: greenProbability(spec.gamma), trials: 1 }
    case 'synthid':
      return { kind: 'binomial', p: 0.5, trials: spec.depth }
    case 'gumbel':
      return { kind: 'gamma' }
  }
}

/**
 * Per-position scores of a token sequence under a watermarker's key: the one
 * definition of each scheme's score, shared with the sampler.
 */
export interface TokenScores {
  /** Index into the input of each scored token (positions before the first full window are not scored). */
  position: Int32Array
  /**
   * Identity of the (context, token) tuple each score came from: the PRF's own
   * input, hashed to 52 bits. Equal keys mean the same PRF draw, which must be
   * counted once for the null hypothesis to hold.
   */
  tuple: Float64Array
  score: Float64Array
  /** Scored positions: the arrays' length, or less when a `reuse`d result's arrays were longer. */
  count: number
  /** Streams scored: N of a gumbel key with nonces, else 1. */
  nonces: number
  /**
   * N > 1 only: adds tuple j's score under every nonce ν to `sums[ν]` (`score` holds
   * nonce 0's). Computed on demand, so memory stays O(tuples) for any N. The tuple
   * identity does not depend on the nonce, so one dedup serves every stream.
   */
  addStreams: ((j: number, sums: Float64Array) => void) | null
  /** N > 1 only: tuple j's score under nonce ν. */
  streamScore: ((j: number, nonce: number) => number) | null
}

/** Throws on an id outside the vocabulary, naming its position in the scored text. */
export function checkId(x: number, i: number, V: number): void {
  if (!(x >= 0 && x < V && Number.isInteger(x))) {
    throw new RangeError(`token at position ${i} (${x}) is outside the key's vocabulary of ${V}`)
  }
}

/**
 * Scores every token of `tokens` that has a full context window. Under a gumbel
 * key with a race fingerprint the score is the best of the token's 256 byte
 * values' race scores mapped to Exp(1) by its exact null law (see `raceMaxScore`;
 * one mixer call under the ordered draw, 256 under the independent one). Throws on an id
 * outside the key's vocabulary, naming its position.
 *
 * @param reuse a result of an earlier call to overwrite, for a scanner that scores
 *   millions of documents: its arrays are kept when they are long enough (then they
 *   may be longer than `count`), so no memory is allocated per document. The
 *   earlier result is lost.
 */
export function scoreTokens(wm: Watermarker, tokens: ArrayLike<number>, reuse?: TokenScores): TokenScores {
  const kr = keyringOf(wm)
  const spec = kr.spec
  const h = contextWidth(spec)
  const V = spec.vocabSize
  const n = Math.max(0, tokens.length - h)
  const N = gumbelNonces(spec)
  // Fresh typed arrays per document cost more than scoring a short one (each has
  // its own backing store, freed late by the GC).
  const fits = reuse !== undefined && reuse.score.length >= n
  const out: TokenScores = fits ? reuse : { position: new Int32Array(n), tuple: new Float64Array(n), score: new Float64Array(n), count: n, nonces: N, addStreams: null, streamScore: null }
  out.count = n
  out.nonces = N
  out.addStreams = null
  out.streamScore = null
  // Gumbel nonces: keep each tuple's seed and token; stream ν's uniform is the mixer's
  // output for (seed ⊕ mask ν, token), as the session draws it.
  const seeds = N > 1 ? new Int32Array(2 * n) : null
  const toks = N > 1 ? new Int32Array(n) : null
  const masks = kr.nonceMask
  if (seeds && toks && masks) {
    const streamScore = (j: number, v: number) => {
      const a = seeds[2 * j] ^ masks[2 * v]
      const b = seeds[2 * j + 1] ^ masks[2 * v + 1]
      const x = toks[j]
      return gumbelScore(mixHi(a, b, x) * 2 ** -32 + ((mixLo(a, b, x) >>> 11) + 1) * 2 ** -53)
    }
    out.streamScore = streamScore
    out.addStreams = (j, sums) => {
      for (let v = 0; v < N; v++) sums[v] += streamScore(j, v)
    }
  }
  const ctx = scratchContext
  const seed = scratchSeed
  const thr = spec.scheme === 'kgw' || spec.scheme === 'unigram' ? greenThreshold(spec.gamma) : 0
  const depth = spec.scheme === 'synthid' ? spec.depth : 0
  const race = spec.fingerprint !== undefined && isRaceFingerprint(spec.fingerprint) ? spec.fingerprint : null
  const step = scratchStep
  // Every window's seed in batched passes of DIGEST_CHUNK (WebAssembly SipHash when available):
  // the same digests contextAt computes one at a time. SelfHash seeds from the
  // per-token tables instead, and h = 0 from the fixed seed.
  // The first h ids are only context, but one outside the vocabulary is as invalid as a
  // scored one (and SelfHash would read its per-token tables out of range).
  for (let i = 0; i < Math.min(h, tokens.length); i++) checkId(tokens[i], i, V)
  const batched = h > 0 && !isSelfSeeded(kr)
  const wd = windowDigests
  const rd = raceDigests
  const ordered = race !== null && isOrderedRace(race)
  // SelfHash with its tables built (a scan builds them within its first documents):
  // contextAt + candidateSeed inlined over the rank and seed tables.
  const tables = h > 0 && !batched && kr.rank && kr.seed ? { rank: kr.rank, seed: kr.seed } : null
  for (let i = h, j = 0; i < tokens.length; i++, j++) {
    const x = tokens[i]
    checkId(x, i, V)
    const c = j & (DIGEST_CHUNK - 1)
    if (c === 0) {
      const m = Math.min(DIGEST_CHUNK, n - j)
      if (batched) hashWindows(kr.window, tokens, h, m, wd, j)
      // A race key's windows under the fingerprint subkey, batched the same way.
      if (race) hashWindows(kr.fingerprintKey, tokens, h, m, rd, j)
    }
    if (batched) {
      seed[0] = wd[2 * c]
      seed[1] = wd[2 * c + 1]
    } else if (tables) {
      const { rank, seed: ts } = tables
      // The window's anchor: smallest keyed rank, ties to the smaller id; then the
      // candidate seeds itself when it beats the anchor (as candidateSeed).
      let a = tokens[i - h]
      let ar = rank[a]
      for (let w = i - h + 1; w < i; w++) {
        const t = tokens[w]
        const r = rank[t]
        if (r < ar || (r === ar && t < a)) {
          a = t
          ar = r
        }
      }
      const r = rank[x]
      const s = r < ar || (r === ar && x < a) ? x : a
      seed[0] = ts[2 * s]
      seed[1] = ts[2 * s + 1]
    } else {
      contextAt(kr, tokens, i, ctx, false)
      candidateSeed(kr, ctx, x, seed)
    }
    const hi = mixHi(seed[0], seed[1], x)
    const lo = mixLo(seed[0], seed[1], x)
    out.position[j] = i
    out.tuple[j] = hi * 2 ** 20 + (lo >>> 12)
    switch (spec.scheme) {
      case 'kgw':
      case 'unigram':
        out.score[j] = hi < thr ? 1 : 0
        break
      case 'synthid':
        out.score[j] = synthIdScore(lo, depth)
        break
      case 'gumbel':
        if (race) {
          fingerprintStepFrom(race, rd[2 * c], rd[2 * c + 1], step)
          out.score[j] = ordered ? orderedZeroBitScore(step, x) : raceMaxScore(minSymbolUniform(step, x))
        } else out.score[j] = gumbelScore(hi * 2 ** -32 + ((lo >>> 11) + 1) * 2 ** -53)
        if (seeds && toks) {
          seeds[2 * j] = seed[0]
          seeds[2 * j + 1] = seed[1]
          toks[j] = x
        }
        break
    }
  }
  return out
}
