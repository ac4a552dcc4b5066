import {
  accountCodeword,
  codewordScores,
  COLOURS,
  decodeCandidates,
  fingerprintVotes,
  isRaceFingerprint,
  registryCandidates,
  withoutAccount,
  type FingerprintCandidate,
  type FingerprintSpec,
  type FingerprintVotes,
  type Watermarker,
} from '@tracemark/watermark'
import { binomialUpperTailLog, gammaUpperTailLog, toPValue } from './stats/tails.js'

/** Evidence that a text was produced for one account. */
export interface AccountEvidence {
  account: number
  /**
   * The evidence of the account's codeword: unique tuples whose colour matches it
   * (colour bias), or the sum of the tuples' race scores under its bytes (race).
   */
  votes: number
  /** The votes the test counts: `votes` without the account's k - 1 strongest positions (see `trimmedMatches`). */
  testedVotes: number
  /** Corrected p-value of "no token of this text was produced for this account". */
  pValue: number
  log10PValue: number
}

/** The verdict on which account(s) a text was produced for. */
export interface Attribution extends AccountEvidence {
  /** Every account that passes the corrected test, strongest first (colluders, mixed datasets). */
  accounts: AccountEvidence[]
  /** Unique (window, token) tuples that voted. */
  scored: number
  /** Accounts that could have been named: the registry size, or 2^bits. */
  candidates: number
  /**
   * Expected tested votes per scored tuple under the null: the match probability
   * 1/256 (colour bias, tested votes are at most Binomial(scored, 1/256)), or the
   * mean race score 1 (race, tested votes are at most Gamma(scored, 1)).
   */
  nullRate: number
  alpha: number
}

/**
 * The test statistic for account a: its matching votes minus those at the k - 1
 * positions where a has the most (k = message bytes of the Reed–Solomon code).
 *
 * Why: under the null "no token of this text was produced for a" (human text,
 * another key, or other accounts b), a token at a position where a's codeword
 * differs from b's matches a with probability at most 1/256: b's colour is
 * favoured and the other 255 colours are exchangeable, so each keeps at most
 * (1 - 1/256) / 255 = 1/256 of the mass in expectation over the keyed colouring.
 * Only where a and b agree can a's matches be inflated, and two codewords of an
 * RS code agree in at most k - 1 positions. Dropping a's k - 1 best positions
 * removes at least the matches of any such agreement set, so what remains is
 * stochastically at most Binomial(scored, 1/256), whoever wrote the text.
 */
export function trimmedMatches(f: FingerprintSpec, votes: FingerprintVotes, account: number): { votes: number; tested: number } {
  // Summed strongest first, as the sort by a comparator did (the same sums, bit for
  // bit). An insertion sort into reused scratch: attribution tests 16 candidates
  // per document, and TypedArray.from + sort allocated and called into the runtime
  // for each 32-element array.
  const scores = accountScores(f, votes, account)
  const n = scores.length
  if (sortScratch.length < n) sortScratch = new Float64Array(n)
  const per = sortScratch
  for (let i = 0; i < n; i++) {
    const v = scores[i]
    let j = i
    for (; j > 0 && per[j - 1] > v; j--) per[j] = per[j - 1]
    per[j] = v
  }
  const strongest = Math.ceil(f.bits / 8) - 1
  let total = 0
  let drop = 0
  for (let i = n - 1, j = 0; i >= 0; i--, j++) {
    total += per[i]
    if (j < strongest) drop += per[i]
  }
  return { votes: total, tested: total - drop }
}

let sortScratch = new Float64Array(32)

/**
 * An account's exact evidence per codeword position ({@link codewordScores}),
 * remembered per votes: a race key's zero-bit test and its attribution score the
 * same accounts of the same votes, and on quick votes each costs a mixer call per
 * tuple. Votes that grow in place (pooled over texts) raise `scored`, which
 * drops what was remembered. Callers only read the array.
 */
export function accountScores(f: FingerprintSpec, votes: FingerprintVotes, account: number): Float64Array {
  let memo = scoresMemo.get(votes)
  if (!memo || memo.f !== f || memo.scored !== votes.scored) scoresMemo.set(votes, (memo = { f, scored: votes.scored, byAccount: new Map() }))
  let scores = memo.byAccount.get(account)
  if (!scores) memo.byAccount.set(account, (scores = codewordScores(votes, accountCodeword(f, account))))
  return scores
}

const scoresMemo = new WeakMap<FingerprintVotes, { f: FingerprintSpec; scored: number; byAccount: Map<number, Float64Array> }>()

/** Per-tuple match probability of the trimmed statistic under the null (colour-bias keys). */
export const NULL_MATCH_RATE = 1 / COLOURS

/**
 * The uncorrected log p-value of a trimmed statistic. Race keys: the same
 * argument with scores for matches. Under the null, at a position where the
 * account's byte differs from the writer's (or for human text, everywhere), the
 * account's race uniforms are keyed draws the text never saw, so each tuple adds
 * an independent Exp(1); trimming the k - 1 strongest positions removes at least
 * the agreement set (scores are non-negative), so the rest is a sum of at most
 * `scored` such terms: stochastically at most Gamma(scored, 1).
 */
export function trimmedLogP(f: FingerprintSpec, tested: number, scored: number): number {
  return isRaceFingerprint(f) ? gammaUpperTailLog(scored, tested) : binomialUpperTailLog(tested, scored, NULL_MATCH_RATE)
}

function evidence(f: FingerprintSpec, votes: FingerprintVotes, account: number, logN: number): AccountEvidence {
  const m = trimmedMatches(f, votes, account)
  // Union bound over every account that could have been named: valid however
  // the candidate was chosen from the data.
  const logP = Math.min(0, trimmedLogP(f, m.tested, votes.scored) + logN)
  const p = toPValue(logP)
  return { account, votes: m.votes, testedVotes: m.tested, pValue: p.pValue, log10PValue: p.log10PValue }
}

export interface AttributeOptions {
  /** Registered accounts; when given, every one is scored and the correction is its size. */
  accounts?: ArrayLike<number>
  /** Significance level for naming an account (default 1e-6). */
  alpha?: number
  /**
   * Codeword positions the list decoder searches, most reliable first (default 12). It
   * tries every k-subset of them: 495 for 12, 4,845 for 20 (~8x the time, ~50 ms for a
   * 32-bit fingerprint here). More positions find an account whose
   * evidence is spread thin; the test's price (the union bound over every account) is
   * the same whatever is searched.
   */
  reliable?: number
}

/**
 * Names the account(s) whose fingerprint the votes carry, or returns null when no
 * account passes the corrected test: weak evidence gives no attribution, never a guess.
 */
export function attributeVotes(f: FingerprintSpec, votes: FingerprintVotes, options: AttributeOptions = {}): Attribution | null {
  const alpha = options.alpha ?? 1e-6
  const registry = options.accounts
  const N = registry ? registry.length : 2 ** f.bits
  if (N === 0 || votes.scored === 0) return null
  const logN = Math.log(N)
  const passing = new Map<number, AccountEvidence>()
  const pass = (c: FingerprintCandidate): boolean => {
    const e = evidence(f, votes, c.account, logN)
    if (!(e.log10PValue < Math.log10(alpha))) return false
    passing.set(e.account, e)
    return true
  }
  if (registry) {
    // Registry candidates come sorted by raw votes; the trimmed test can reorder
    // them slightly, so test the strongest few rather than stopping at the first miss.
    // The strongest 64 first (selection, not a sort of the registry); the rest only if
    // the loop gets through all of them without 8 misses (dozens of colluders).
    function* strongestFirst(): Generator<FingerprintCandidate> {
      const top = registryCandidates(f, votes, registry!, 64)
      yield* top
      if (top.length === 64) yield* registryCandidates(f, votes, registry!).slice(64)
    }
    let misses = 0
    for (const c of strongestFirst()) if (!pass(c) && ++misses >= 8) break
  } else {
    // Peel accounts off one at a time so a weaker colluder's symbols surface.
    let remaining = votes
    for (let round = 0; round < 4; round++) {
      const found = decodeCandidates(f, remaining, { reliable: options.reliable }).filter((c) => !passing.has(c.account))
      let progress = false
      for (const c of found) {
        if (pass(c)) {
          progress = true
          remaining = withoutAccount(f, remaining, c.account)
        }
      }
      if (!progress) break
    }
  }
  const accounts = [...passing.values()].sort((a, b) => a.log10PValue - b.log10PValue || a.account - b.account)
  if (accounts.length === 0) return null
  const nullRate = isRaceFingerprint(f) ? 1 : NULL_MATCH_RATE
  return { ...accounts[0], accounts, scored: votes.scored, candidates: N, nullRate, alpha }
}

/** Attribution of token ids under a fingerprinted watermarker. */
export function attributeTokens(wm: Watermarker, ids: ArrayLike<number>, options: AttributeOptions = {}): Attribution | null {
  const f = wm.spec.fingerprint
  if (!f) throw new Error(`key ${wm.keyId} carries no fingerprint`)
  return attributeVotes(f, fingerprintVotes(wm, ids), options)
}
