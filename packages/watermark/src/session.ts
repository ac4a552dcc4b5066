import { contextAt, newContext } from './context.js'
import type { WatermarkKey } from './keys.js'
import { makeKeyring, selfTables, type Keyring } from './keyring.js'
import { checkLogits, checkOptions, createCandidates, drawIndex, idOf, select, truncate, type SampleOptions } from './sampling.js'
import { biasGreen, sampleGreen } from './schemes/green.js'
import { sampleGumbel } from './schemes/gumbel.js'
import { sampleSynthId } from './schemes/synthid.js'
import { contextWidth, gumbelNonces, isOrderedRace, isRaceFingerprint, type WatermarkSpec } from './spec.js'
import { accountCodeword } from './fingerprint/code.js'
import { biasColour, biasColourCandidates, fingerprintStepAt, fingerprintWidth, newFingerprintStep } from './fingerprint/prf.js'
import { symbolSeed } from './fingerprint/race.js'

/** Options for one generation request. */
export interface SessionOptions {
  /** The prompt's token ids: the first windows of the answer reach into it. */
  prompt?: ArrayLike<number>
  /**
   * The account number to embed as a fingerprint (0 .. 2^bits - 1; refused for a key
   * without one). Omitted under a fingerprinted key: a payload drawn uniformly from
   * the platform CSPRNG for this session ({@link Session.payload} says which). Why:
   * the race then differs per request, so regenerated answers differ as plain
   * sampling's do and an attacker's answers mix 2^bits races instead of repeating
   * one (docs/security.md); the text is detected as always, but names no account.
   */
  payload?: number
  /**
   * Gumbel keys with `nonces: N` > 1: which of the N streams this request uses
   * (0 .. N − 1). Default: drawn uniformly from the platform CSPRNG, so that a
   * regenerated answer differs; pass a fixed nonce for reproducible tests. Must be
   * 0 or absent for other keys.
   */
  nonce?: number
  /**
   * Gumbel keys: the answer opens with plainly sampled (unwatermarked) tokens, drawn
   * from `random`, until their surprisal −ln p (under the distribution actually
   * sampled, after temperature and truncation) sums to this many nats, or for at
   * most {@link PREFIX_MAX_TOKENS} tokens. Why: gumbel's race is a function of the key
   * and the window, so without fresh randomness the same prompt always gives the
   * same answer. Any one prefix of surprisal ≥ λ has probability ≤ e^−λ, so two
   * requests open identically with probability ≤ e^−λ, and the rest of the answer
   * follows different windows. Every step stays an exact sample from the model, and
   * detection is unchanged (prefix tokens are scored like any other: they simply
   * carry no signal). Default {@link DEFAULT_PREFIX_NATS} for gumbel, 0 for the other
   * schemes (they draw from `random` at every step already); 0 turns it off.
   */
  prefixNats?: number
  /**
   * Gumbel keys: after the prefix, each step is sampled plainly (from `random`) with
   * this probability. Why: one-stream race steps are deterministic in the window, so
   * two answers that reach the same h-token window stay identical until a plain step
   * separates them; plain steps keep regenerations as varied as plain sampling's
   * further into the answer. Each step stays an exact sample; the price is this
   * fraction of the tokens' evidence. Default 0 (docs/eval/diversity.md measures
   * 0.1 and 0.25 against nonces).
   */
  plainRate?: number
}

/**
 * Default surprisal of gumbel's plain prefix: two requests for the same prompt open
 * identically with probability ≤ e^−8 ≈ 3.4·10^−4 (docs/eval/diversity.md).
 */
export const DEFAULT_PREFIX_NATS = 8

/**
 * Longest plain prefix, whatever its surprisal: a near-deterministic answer (code,
 * greedy-like sampling) would otherwise go unwatermarked for its whole length.
 */
export const PREFIX_MAX_TOKENS = 32

/**
 * One sequence being decoded. Call {@link Session.bias} (green-list schemes) and let
 * the host sample, or {@link Session.sample} (every scheme), then {@link Session.accept}
 * the token the host emitted. Batched decoding uses one session per sequence.
 */
export interface Session {
  /**
   * Adds the watermark bias to `logits` in place (kgw, unigram). Does nothing on a
   * context window already used in this session. Throws for gumbel and synthid,
   * which must choose the token themselves: call {@link Session.sample}.
   */
  bias(logits: Float32Array): void
  /**
   * Samples the next token from `logits` with the host's options, watermarked,
   * and accepts it. `logits` is not modified.
   */
  sample(logits: Float32Array, options?: SampleOptions): number
  /** Records the token the host emitted (after {@link Session.bias} and the host's own sampling). */
  accept(token: number): void
  /** Number of tokens so far, prompt included. */
  readonly length: number
  /** Number of accepted tokens whose window was watermarked (not a repeat, not inside the prompt). */
  readonly watermarked: number
  /** The nonce this session uses (always 0 for keys with one stream). */
  readonly nonce: number
  /** The fingerprint payload this session embeds (given or drawn); undefined for a key without a fingerprint. */
  readonly payload: number | undefined
  /** Tokens sampled plainly so far for the opening prefix (see {@link SessionOptions.prefixNats}). */
  readonly prefixTokens: number
}

/** A key ready for serving: cheap to keep, one per process; opens a session per request. */
export interface Watermarker {
  readonly keyId: string
  readonly spec: WatermarkSpec
  session(options?: SessionOptions): Session
}

const keyrings = new WeakMap<Watermarker, Keyring>()

/** @internal The derived key material of a watermarker, for the scorer. */
export function keyringOf(wm: Watermarker): Keyring {
  const kr = keyrings.get(wm)
  if (!kr) throw new TypeError('not a watermarker made by createWatermarker')
  return kr
}

/**
 * Makes a watermarker from a key. Key derivation happens here and the SelfHash
 * per-token tables on the first session, once, never on the decoding path.
 *
 * @example
 * const wm = createWatermarker(key)
 * const s = wm.session({ prompt })
 * for (let i = 0; i < maxTokens; i++) {
 *   const logits = model.next(s)            // Float32Array over the vocabulary
 *   const id = s.sample(logits, { temperature: 0.8, topP: 0.95 })
 * }
 */
export function createWatermarker(key: WatermarkKey): Watermarker {
  const kr = makeKeyring(key)
  const wm: Watermarker = {
    keyId: key.keyId,
    spec: key.spec,
    session: (options = {}) => openSession(kr, options),
  }
  keyrings.set(wm, kr)
  return wm
}

function checkToken(token: number, vocabSize: number, what: string): void {
  if (!Number.isInteger(token) || token < 0 || token >= vocabSize) {
    throw new RangeError(`${what} ${token} is not a token id of this vocabulary (0..${vocabSize - 1})`)
  }
}

/** The request's nonce: the given one (validated) or a uniform draw from the platform CSPRNG. */
function chooseNonce(n: number, given: number | undefined): number {
  if (given !== undefined) {
    if (!Number.isInteger(given) || given < 0 || given >= n) {
      throw new RangeError(n === 1 ? `this key has one stream: nonce must be 0 or absent, got ${given}` : `nonce must be an integer in 0..${n - 1}, got ${given}`)
    }
    return given
  }
  if (n === 1) return 0
  // Rejection sampling: a uniform nonce for any N, not only powers of two.
  const word = new Uint32Array(1)
  const limit = Math.floor(2 ** 32 / n) * n
  for (;;) {
    globalThis.crypto.getRandomValues(word)
    if (word[0] < limit) return word[0] % n
  }
}

/** A uniform payload of `bits` bits (1..48) from the platform CSPRNG. */
function randomPayload(bits: number): number {
  const words = new Uint32Array(2)
  globalThis.crypto.getRandomValues(words)
  // 2^bits divides 2^32 (and 2^(bits-32) too): the remainders are exactly uniform.
  return bits <= 32 ? words[0] % 2 ** bits : (words[1] % 2 ** (bits - 32)) * 2 ** 32 + words[0]
}

function openSession(kr: Keyring, options: SessionOptions): Session {
  const spec = kr.spec
  // Embedding scans the whole vocabulary each step: build the SelfHash tables now,
  // once per watermarker, rather than on the first decoding step.
  if (spec.scheme === 'kgw' && spec.seeding === 'self') selfTables(kr)
  const V = spec.vocabSize
  const h = contextWidth(spec)
  let tokens = new Uint32Array(Math.max(64, (options.prompt?.length ?? 0) * 2))
  let length = 0
  const push = (t: number) => {
    if (length === tokens.length) {
      const grown = new Uint32Array(tokens.length * 2)
      grown.set(tokens)
      tokens = grown
    }
    tokens[length++] = t
  }
  for (let i = 0; i < (options.prompt?.length ?? 0); i++) {
    const t = options.prompt![i]
    checkToken(t, V, `prompt[${i}] =`)
    push(t)
  }
  const f = spec.fingerprint
  if (!f && options.payload !== undefined) throw new Error('this key carries no fingerprint: payload is not accepted')
  const payload = f ? (options.payload ?? randomPayload(f.bits)) : undefined
  const codeword = f ? accountCodeword(f, payload!) : null
  // The race embedding replaces the race's uniforms (distortion-free); the colour
  // bias adds logits next to the scheme.
  const race = f !== undefined && isRaceFingerprint(f)
  const bias = f !== undefined && !isRaceFingerprint(f) ? f : null
  const fh = f ? fingerprintWidth(spec) : 0
  const nonce = chooseNonce(gumbelNonces(spec), options.nonce)
  const prefixNats = options.prefixNats ?? (spec.scheme === 'gumbel' ? DEFAULT_PREFIX_NATS : 0)
  if (!(prefixNats >= 0 && prefixNats < Infinity)) throw new RangeError(`prefixNats must be a finite number >= 0, got ${prefixNats}`)
  const plainRate = options.plainRate ?? 0
  if (!(plainRate >= 0 && plainRate <= 1)) throw new RangeError(`plainRate must be a number in [0, 1], got ${plainRate}`)
  let prefixLeft = prefixNats
  let prefixTokens = 0
  const mask0 = kr.nonceMask ? kr.nonceMask[2 * nonce] : 0
  const mask1 = kr.nonceMask ? kr.nonceMask[2 * nonce + 1] : 0
  const fstep = newFingerprintStep()
  const ordered = race && isOrderedRace(f!) ? { step: fstep, symbol: 0 } : null
  const fseen = new Set<number>()
  let fpending = -1
  let scratch: Float32Array | null = null
  const seen = new Set<number>()
  const ctx = newContext()
  const work = createCandidates(V)
  // Green-list schemes raise logits by delta, so top-k must look that far below the k-th.
  const slack = spec.scheme === 'kgw' || spec.scheme === 'unigram' ? spec.delta : 0
  // The window used by the current step, committed to `seen` on accept().
  let pending = -1
  let watermarked = 0

  /** Prepares the fingerprint of the next position; false when this window already carried one. */
  const fingerprintDue = (): boolean => {
    fpending = -1
    if (!bias || length < fh) return false
    fingerprintStepAt(kr, fh, bias, tokens, length, fstep)
    if (fseen.has(fstep.windowKey)) return false
    fpending = fstep.windowKey
    return true
  }

  /** Prepares the context for the next position; false when it must not be watermarked. */
  const prepare = (): boolean => {
    pending = -1
    if (length < h) return false
    contextAt(kr, tokens, length, ctx)
    // Unigram has one context: repetition is its nature, not a repeat to skip.
    if (h > 0 && seen.has(ctx.windowKey)) return false
    pending = ctx.windowKey
    // The nonce selects the stream; the window's identity (repeats) does not change.
    ctx.s0 ^= mask0
    ctx.s1 ^= mask1
    return true
  }

  const session: Session = {
    bias(logits) {
      if (spec.scheme === 'gumbel' || spec.scheme === 'synthid') {
        throw new Error(`scheme ${spec.scheme} chooses the token itself: call session.sample(logits, options) instead of bias()`)
      }
      checkLogits(logits, V)
      if (prepare()) biasGreen(kr, ctx, logits)
      if (fingerprintDue()) biasColour(fstep, codeword![fstep.position], bias!.delta, logits)
    },
    sample(logits, o = {}) {
      checkOptions(o)
      const fp = fingerprintDue()
      // Behind a truncating host (top-k, greedy) the fingerprint biases only the
      // candidates, selected with its delta as extra slack; otherwise it biases a
      // copy of the whole vocabulary: sample() promises not to touch the host's logits.
      const truncating = (o.temperature ?? 1) === 0 || ((o.topK ?? 0) > 0 && (o.topK ?? 0) < V)
      if (fp && !truncating) {
        checkLogits(logits, V)
        scratch ??= new Float32Array(V)
        scratch.set(logits)
        biasColour(fstep, codeword![fstep.position], bias!.delta, scratch)
        logits = scratch
      }
      const max = select(logits, V, o, work, slack + (fp && truncating ? bias!.delta : 0))
      if (fp && truncating) biasColourCandidates(fstep, codeword![fstep.position], bias!.delta, work.ids, work.logit, work.n)
      const random = o.random ?? Math.random
      let token: number
      // Plain steps (the opening prefix, a plainRate coin, a repeated or prompt-only
      // window): the fingerprint's colour bias (if any) is already in the logits, so
      // only the scheme's own choice is skipped.
      const inPrefix = prefixLeft > 0 && prefixTokens < PREFIX_MAX_TOKENS
      if (inPrefix || (plainRate > 0 && random() < plainRate) || !prepare()) {
        pending = -1
        truncate(work, o, max)
        const i = drawIndex(work, random)
        if (inPrefix) {
          prefixLeft += Math.log(work.prob[i] / work.sum)
          prefixTokens++
        }
        token = idOf(work, i)
      } else if (spec.scheme === 'gumbel') {
        if (race) {
          // The window's codeword byte keys the race: the same exact draw from p, carrying the account.
          fingerprintStepAt(kr, fh, f!, tokens, length, fstep)
          if (ordered) ordered.symbol = codeword![fstep.position]
          else symbolSeed(fstep, codeword![fstep.position], ctx)
        }
        token = sampleGumbel(kr, ctx, work, max, o, ordered)
      }
      else if (spec.scheme === 'synthid') token = sampleSynthId(kr, ctx, work, max, o, random)
      else token = sampleGreen(kr, ctx, work, max, o, random)
      session.accept(token)
      return token
    },
    accept(token) {
      checkToken(token, V, 'accepted token')
      if (pending !== -1) {
        if (h > 0) seen.add(pending)
        watermarked++
      }
      if (fpending !== -1) fseen.add(fpending)
      pending = -1
      fpending = -1
      push(token)
    },
    get length() {
      return length
    },
    get watermarked() {
      return watermarked
    },
    get nonce() {
      return nonce
    },
    get prefixTokens() {
      return prefixTokens
    },
    get payload() {
      return payload
    },
  }
  return session
}
