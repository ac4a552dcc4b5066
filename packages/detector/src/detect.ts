import {
  createWatermarker,
  decodeCandidates,
  fingerprintVotes,
  isRaceFingerprint,
  nullModel,
  registryCandidates,
  type FingerprintSpec,
  type FingerprintVotes,
  scoreTokens,
  type Watermarker,
  type WatermarkKey,
  type WatermarkSpec,
} from '@tracemark/watermark'
import { accountScores, attributeTokens, attributeVotes, type Attribution } from './attribution.js'
import { addTuple, bestStream, streamsOf, type ScoredTuples } from './nonces.js'
import { binomialUpperTailLog, binomialZScore, gammaUpperTailLog, gammaZScore, toPValue } from './stats/tails.js'
import { normalizeText, type NormalizeOptions } from './text/normalize.js'
import { tokenizerForKey, type TokenizerChoice } from './text/key-tokenizer.js'
import type { TokenizerBackend } from './text/tokenizer.js'

/** Options of {@link detect}. */
export interface DetectOptions {
  /**
   * Tokenizer for string input; default: the built-in one named in the key's spec.
   * A key made for a Hugging Face tokenizer.json needs it here: a path, the parsed
   * JSON (`{ json }`), or a tokenizer from `getTokenizer({ path })`. It must have the
   * SHA-256 the key records, or detection throws naming both hashes.
   */
  tokenizer?: TokenizerChoice
  /** Implementation of a built-in encoding: `tiktoken` (default, the reference) or the faster, id-identical `gpt-tokenizer`. */
  tokenizerBackend?: TokenizerBackend
  /** Significance level for `detected`. Default 1e-6: an accusation needs strong evidence. */
  alpha?: number
  /** Text normalization before tokenizing (see README); `false` turns it off. */
  normalize?: NormalizeOptions | false
  /** Registered accounts for fingerprint attribution (default: every 2^bits account). */
  accounts?: ArrayLike<number>
  /** Significance level for naming an account (default: `alpha`). */
  attributionAlpha?: number
}

/** The verdict on one text under one key. */
export interface DetectionResult {
  /** Public id of the key tested. */
  keyId: string
  scheme: WatermarkSpec['scheme']
  /** Tokens in the input (after normalization and tokenization). */
  tokens: number
  /** Unique (context, token) tuples scored: repeats carry no new evidence and are counted once. */
  scored: number
  /** Test statistic: green count (kgw, unigram), sum of g-bits (synthid), sum of -ln(1-r) (gumbel). */
  score: number
  /** Expected score under the null hypothesis. */
  expected: number
  /** Exact p-value of the score under the null; 0 only when below ~1e-308 (see log10PValue). */
  pValue: number
  /** log10 of the p-value, finite far below the double range. */
  log10PValue: number
  /** Standardized score, for orientation only: the p-value is the evidence. */
  zScore: number
  /** pValue < alpha. */
  detected: boolean
  alpha: number
  /** The null hypothesis the p-value is computed under. */
  nullHypothesis: string
  /**
   * Gumbel keys with nonces: the stream (request nonce) with the smallest p-value;
   * `pValue` is already corrected for choosing the best of the key's N streams.
   */
  nonce?: number
  /**
   * For a fingerprinted key: the account(s) the text was produced for, or null when
   * no account passes the corrected test. Absent for keys without a fingerprint.
   */
  attribution?: Attribution | null
}

const watermarkers = new WeakMap<WatermarkKey, Watermarker>()

function watermarkerFor(key: WatermarkKey | Watermarker): Watermarker {
  if ('session' in key) return key
  let wm = watermarkers.get(key)
  if (!wm) {
    wm = createWatermarker(key)
    watermarkers.set(key, wm)
  }
  return wm
}

/** Resolves string input to token ids with the key's tokenizer, after normalization. */
export function tokenize(input: string | ArrayLike<number>, spec: WatermarkSpec, options: DetectOptions = {}): ArrayLike<number> {
  if (typeof input !== 'string') return input
  const tok = tokenizerForKey(spec, options.tokenizer, options.tokenizerBackend)
  const text = options.normalize === false ? input : normalizeText(input, options.normalize)
  return tok.encode(text)
}

/**
 * Sums the scores of unique tuples. Under the null hypothesis (the text does not
 * depend on the key) each distinct PRF input is an independent draw, but a
 * repeated one is the same draw again: counting it twice would make a text that
 * repeats one sentence look ever more significant.
 */
export function uniqueScore(scores: { tuple: Float64Array; score: Float64Array; count: number }): { n: number; sum: number } {
  const seen = new Set<number>()
  let sum = 0
  for (let i = 0; i < scores.count; i++) {
    const t = scores.tuple[i]
    if (seen.has(t)) continue
    seen.add(t)
    sum += scores.score[i]
  }
  return { n: seen.size, sum }
}

/**
 * {@link uniqueScore} for every stream of a gumbel key with nonces: the same unique
 * tuples (first occurrence counts), one sum per nonce (one sum for other keys).
 */
export function uniqueScores(scores: ScoredTuples): { n: number; sums: Float64Array } {
  const seen = new Set<number>()
  const sums = new Float64Array(streamsOf(scores))
  for (let i = 0; i < scores.count; i++) {
    const t = scores.tuple[i]
    if (seen.has(t)) continue
    seen.add(t)
    addTuple(scores, i, sums)
  }
  return { n: seen.size, sums }
}

/** Exact log p-value, expected score and z-score of `sum` over `n` unique tuples. */
export function testStatistic(spec: WatermarkSpec, n: number, sum: number): { logP: number; expected: number; z: number; hypothesis: string } {
  const law = nullModel(spec)
  if (law.kind === 'gamma') {
    return {
      logP: n === 0 ? 0 : gammaUpperTailLog(n, sum),
      expected: n,
      z: n === 0 ? 0 : gammaZScore(n, sum),
      hypothesis: `the text does not depend on the key: the score is Gamma(${n}, 1)`,
    }
  }
  const trials = n * law.trials
  return {
    logP: trials === 0 ? 0 : binomialUpperTailLog(Math.round(sum), trials, law.p),
    expected: trials * law.p,
    z: trials === 0 ? 0 : binomialZScore(Math.round(sum), trials, law.p),
    hypothesis: `the text does not depend on the key: the score is Binomial(${trials}, ${law.p})`,
  }
}

// Candidates whose exact score the race zero-bit test reads: the union bound covers
// every account, so scoring more of them only helps power.
const RESCORED = 4

function sumOf(a: Float64Array): number {
  let s = 0
  for (const v of a) s += v
  return s
}

/**
 * The zero-bit test of a gumbel key with a race fingerprint, which must find the
 * watermark without knowing the account. Two exact tests, Bonferroni-combined:
 * the per-token test (each token's best race score over the 256 byte values,
 * mapped to Exp(1); strong on short texts), and the decoder's best account,
 * whose untrimmed score over `scored` fingerprint tuples is exactly Gamma(scored, 1)
 * for each account when the text does not depend on the key, union-bounded over
 * all 2^bits accounts, or over the registry when one is given (strong once a few
 * tokens share each codeword position).
 */
export function raceZeroBit(f: FingerprintSpec, perToken: ReturnType<typeof testStatistic>, votes: FingerprintVotes | null, accounts?: ArrayLike<number>, reliable?: number) {
  const over = accounts && accounts.length > 0 ? `${accounts.length} registered accounts` : `all 2^${f.bits} accounts`
  const perTokenHypothesis = perToken.hypothesis.replace(/: the score is /, ': the per-token best-of-256 score is ')
  // No votes: the account test was not run (a scan's gate), which counts as its p = 1.
  if (!votes) {
    return {
      ...perToken,
      logP: Math.min(0, Math.LN2 + perToken.logP),
      hypothesis: `${perTokenHypothesis} (2 tests, union bound over ${over}; the account test not run, counted as p = 1)`,
    }
  }
  // The votes rank candidates; the test reads each one's exact score (under the
  // ordered draw the ranking is a proxy, see FingerprintVotes), so the best few are scored.
  const ranked = accounts && accounts.length > 0 ? registryCandidates(f, votes, accounts, RESCORED) : decodeCandidates(f, votes, { limit: RESCORED, reliable })
  let best = -Infinity
  for (const c of ranked) best = Math.max(best, sumOf(accountScores(f, votes, c.account)))
  const logN = accounts && accounts.length > 0 ? Math.log(accounts.length) : f.bits * Math.LN2
  const account = votes.scored === 0 || ranked.length === 0 ? 0 : gammaUpperTailLog(votes.scored, best) + logN
  return {
    ...perToken,
    logP: Math.min(0, Math.LN2 + Math.min(perToken.logP, account)),
    hypothesis: `${perTokenHypothesis}, and every account's score is Gamma(${votes.scored}, 1) (2 tests, union bound over ${over})`,
  }
}

/**
 * Tests whether `input` carries the watermark of `key`.
 *
 * @param input text (normalized, then tokenized with the key's tokenizer) or token ids
 * @param key the watermark key (or a watermarker made from it)
 * @example
 * const r = detect(text, key)
 * if (r.detected) console.log(`watermarked, p = ${r.pValue}`)
 */
export function detect(
  input: string | ArrayLike<number>,
  key: WatermarkKey | Watermarker,
  options: DetectOptions = {},
): DetectionResult {
  const alpha = options.alpha ?? 1e-6
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`)
  const wm = watermarkerFor(key)
  const ids = tokenize(input, wm.spec, options)
  const { n, sums } = uniqueScores(scoreTokens(wm, ids))
  // Gumbel with nonces: the best of the N streams at the Šidák price (one stream otherwise).
  let stat = bestStream(wm.spec, n, sums)
  const f = wm.spec.fingerprint
  const attributeOptions = { accounts: options.accounts, alpha: options.attributionAlpha ?? alpha }
  let attribution = {}
  if (f && isRaceFingerprint(f)) {
    // Race keys have one stream (the spec refuses nonces with a race fingerprint).
    const votes = fingerprintVotes(wm, ids)
    stat = { ...stat, ...raceZeroBit(f, stat, votes, options.accounts) }
    attribution = { attribution: attributeVotes(f, votes, attributeOptions) }
  } else if (f) attribution = { attribution: attributeTokens(wm, ids, attributeOptions) }
  const sum = stat.sum
  const p = toPValue(stat.logP)
  return {
    keyId: wm.keyId,
    scheme: wm.spec.scheme,
    tokens: ids.length,
    scored: n,
    score: sum,
    expected: stat.expected,
    pValue: p.pValue,
    log10PValue: p.log10PValue,
    zScore: stat.z,
    detected: stat.logP < Math.log(alpha),
    alpha,
    nullHypothesis: stat.hypothesis,
    ...(sums.length > 1 ? { nonce: stat.nonce } : {}),
    ...attribution,
  }
}
