import { keyringOf, type Watermarker } from '../session.js'
import { isOrderedRace, isRaceFingerprint } from '../spec.js'
import { COLOURS } from './code.js'
import { checkId } from '../score.js'
import { DIGEST_CHUNK, hashWindows } from '../window-hash.js'
import { colourOf, fingerprintStepFrom, fingerprintTuple, fingerprintWidth, newFingerprintStep } from './prf.js'
import { addOrderedSymbolScores, addSymbolScores, newOrderedMin, orderedMin, orderedScoreFrom } from './race.js'

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
   * entropy: in one run of 200 answers at temperature 0.6, it named 19% of 100-token
   * answers where the full scores name 26.5%, 90.5% of 200-token ones against 100%). Quick votes ({@link VoteOptions.quick}): only
   * -ln M at each tuple's argmin, a ranking for the decoder; {@link codewordScores}
   * gives an account's exact scores.
   */
  counts: Uint32Array | Float64Array
  positions: number
  /** Unique (window, token) tuples that voted. */
  scored: number
  /** Quick votes ({@link VoteOptions.quick}): every voting tuple, so any codeword is scored exactly. */
  tuples?: VotingTuples
}

/**
 * The voting tuples of quick votes: window seed, token and ordered draw (M,
 * argmin), from which one codeword's exact scores cost one mixer call per tuple.
 */
export interface VotingTuples {
  n: number
  position: Uint8Array
  argmin: Uint8Array
  m: Float64Array
  s0: Int32Array
  s1: Int32Array
  x: Int32Array
}

function newTuples(capacity: number): VotingTuples {
  return {
    n: 0,
    position: new Uint8Array(capacity),
    argmin: new Uint8Array(capacity),
    m: new Float64Array(capacity),
    s0: new Int32Array(capacity),
    s1: new Int32Array(capacity),
    x: new Int32Array(capacity),
  }
}

function pushTuple(t: VotingTuples, position: number, argmin: number, m: number, s0: number, s1: number, x: number): VotingTuples {
  if (t.n === t.m.length) {
    const g = newTuples(2 * t.n)
    for (const k of ['position', 'argmin', 'm', 's0', 's1', 'x'] as const) g[k].set(t[k] as never)
    g.n = t.n
    t = g
  }
  const i = t.n++
  t.position[i] = position
  t.argmin[i] = argmin
  t.m[i] = m
  t.s0[i] = s0
  t.s1[i] = s1
  t.x[i] = x
  return t
}

/**
 * The exact evidence of one codeword, per position: the sum over the tuples at
 * position p of their race score -ln t under the codeword's byte at p (race keys),
 * or their count of matching colours (colour bias). What every p-value reads.
 */
export function codewordScores(votes: FingerprintVotes, codeword: Uint8Array): Float64Array {
  const t = votes.tuples
  if (!t) return Float64Array.from(codeword, (c, p) => votes.counts[p * COLOURS + c])
  const out = new Float64Array(codeword.length)
  for (let i = 0; i < t.n; i++) {
    const p = t.position[i]
    out[p] += orderedScoreFrom(t.s0[i], t.s1[i], t.x[i], t.m[i], t.argmin[i], codeword[p])
  }
  return out
}

const om = newOrderedMin()
const voteDigests = new Uint32Array(2 * DIGEST_CHUNK)

/**
 * The slot of tuple `t` (an integer below 2^52) in an open-addressing table of
 * 2^bits entries holding t + 1 (0: empty): where it is, or the empty slot where it
 * goes. Tuples are PRF outputs, so their low 32 bits spread well.
 */
function slotOf(table: Float64Array, bits: number, t: number): number {
  const mask = table.length - 1
  let j = Math.imul(t >>> 0, 0x9e3779b1) >>> (32 - bits)
  for (let v = table[j]; v !== 0 && v !== t + 1; v = table[j]) j = (j + 1) & mask
  return j
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
  /**
   * Ordered-draw race keys: count only each tuple's -ln M at its argmin byte, and
   * keep the tuples so that the accounts tested are scored exactly. One mixer call
   * per tuple instead of 256; p-values stay exact, but decoding sees less (one run of
   * 200 answers at temperature 0.6: 90.5% of 200-token answers named among 2^32 where
   * full votes name 100%, 19% of 100-token answers where they name 26.5%). What a scan uses.
   */
  quick?: boolean
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
  const ordered = isOrderedRace(f)
  const addScores = ordered ? addOrderedSymbolScores : addSymbolScores
  const quick = options.quick === true
  if (quick && !ordered) throw new Error('quick votes need a race fingerprint with the ordered draw')
  const votes: FingerprintVotes = options.into ?? {
    counts: race ? new Float64Array(f.positions * COLOURS) : new Uint32Array(f.positions * COLOURS),
    positions: f.positions,
    scored: 0,
    // Room for every window at once: growing six arrays by doubling was a tenth of quick votes' time.
    ...(quick ? { tuples: newTuples(Math.max(64, tokens.length)) } : {}),
  }
  if (race !== votes.counts instanceof Float64Array || quick !== (votes.tuples !== undefined)) {
    throw new TypeError('votes to add to were made under another fingerprint embedding or mode')
  }
  const counts = votes.counts
  const step = newFingerprintStep()
  const seen = options.seen
  // Without a shared set, repeats within this text are found in a typed table: a
  // Set of doubles boxed every tuple and cost a fifth of quick votes' time.
  const bits = Math.max(4, Math.ceil(Math.log2(2 * Math.max(1, tokens.length))))
  const own = seen ? null : new Float64Array(2 ** bits)
  const exclude = options.exclude
  const V = kr.spec.vocabSize
  const h = fingerprintWidth(kr.spec)
  const from = Math.max(h, options.start ?? 0)
  // The windows' digests in batched passes of DIGEST_CHUNK (WebAssembly SipHash when available).
  const windows = Math.max(0, tokens.length - from)
  const digests = voteDigests
  for (let i = from; i < tokens.length; i++) {
    const x = tokens[i]
    checkId(x, i, V)
    const c = (i - from) & (DIGEST_CHUNK - 1)
    if (c === 0) hashWindows(kr.fingerprintKey, tokens, h, Math.min(DIGEST_CHUNK, windows - (i - from)), digests, i - h)
    fingerprintStepFrom(f, digests[2 * c], digests[2 * c + 1], step)
    const t = fingerprintTuple(step.s0, step.s1, x)
    if (own) {
      const j = slotOf(own, bits, t)
      if (own[j] !== 0 || exclude?.has(t)) continue
      own[j] = t + 1
    } else {
      if (seen!.has(t) || exclude?.has(t)) continue
      seen!.add(t)
    }
    if (quick) {
      orderedMin(step, x, om)
      counts[step.position * COLOURS + om.argmin] += -Math.log(om.m)
      votes.tuples = pushTuple(votes.tuples!, step.position, om.argmin, om.m, step.s0, step.s1, x)
    } else if (race) addScores(step, x, counts as Float64Array, step.position * COLOURS)
    else counts[step.position * COLOURS + colourOf(step.s0, step.s1, x)]++
    votes.scored++
  }
  return votes
}
