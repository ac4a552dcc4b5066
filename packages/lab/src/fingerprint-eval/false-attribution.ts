/**
 * False attribution of the race fingerprint over many trials, each a real chance to
 * name a wrong account with full 2^32 decoding (no registry to narrow the search):
 *
 * - null trials: text that does not depend on the key (held-out human text, and
 *   plain model answers at the run's temperature), each decoded under a FRESH key.
 *   Under a fresh key every race score of the text is a new independent Exp(1), so
 *   the trials are independent even when a text is reused.
 * - own-key trials: an answer watermarked for account b, decoded under its own key;
 *   naming any account other than b is wrong. Generating an answer costs ~100 times
 *   more than decoding it, so each answer is reused as several variants: distinct pairs of a
 *   200-token window and 0 %, 10 % or 20 % word substitution, drawn without replacement. Variants of one answer
 *   share part of their evidence, so they are not independent trials; the expected
 *   number of wrong accounts is still at most alpha per trial by linearity of
 *   expectation, which needs no independence.
 *
 * Besides the count at alpha, the smallest p-value of any wrong candidate the decoder
 * proposed (before and after the 2^32 correction) shows how close the bound came.
 */
import { attributeVotes, getTokenizer } from '@tracemark/detector'
import { createWatermarker, decodeCandidates, fingerprintVotes, generateKey, seededRandom, withoutAccount, type FingerprintSpec, type FingerprintVotes } from '@tracemark/watermark'
// The trimmed test's uncorrected p-value is internal to the detector; the same module the detector runs.
import { trimmedLogP } from '../../../detector/src/attribution.js'
import { trimmedMatches } from '@tracemark/detector'
import { substituteSynonyms } from '../attacks/index.js'
import { heldOut } from '../eval/data.js'
import { derivedSecret, derivedSeed } from '../eval/keys.js'
import { RACE_SPEC, type RaceAnswer } from './power.js'

const ALPHA = 1e-6
const TRIAL_TOKENS = 200
const STRENGTHS = [0, 0.1, 0.2]

export interface FalseAttributionResult {
  /** Trials on key-independent text, each under a fresh key. */
  readonly nullTrials: number
  readonly nullWrong: number
  /** Trials on answers decoded under their own key. */
  readonly ownTrials: number
  readonly ownWrong: number
  /** Answers the own-key trials were made from. */
  readonly ownAnswers: number
  /** Smallest uncorrected log10 p of a wrong candidate, and after the 2^32 union bound (capped at 0). */
  readonly minLog10P: number
  readonly minLog10PCorrected: number
  /** Uncorrected log10 p a wrong candidate needs to be named: log10(alpha / 2^32). */
  readonly threshold: number
}

/** 0 .. n - 1 in a seeded random order (Fisher–Yates). */
function shuffled(n: number, r: () => number): Int32Array {
  const a = Int32Array.from({ length: n }, (_, i) => i)
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1))
    const t = a[i]
    a[i] = a[j]
    a[j] = t
  }
  return a
}

/** One trial's outcome: wrong accounts named, and the smallest uncorrected ln p of a wrong candidate. */
export interface Verdict {
  readonly wrong: number
  readonly minLnP: number
}

/**
 * The verdict of `attributeVotes` (2^bits accounts, alpha) on one text, with the
 * smallest p-value of a wrong candidate. Attribution names only candidates of its
 * decoding rounds: round 0 on the votes, then (once the accounts that passed are
 * peeled off) round 1, and so on while some candidate passes. When no wrong
 * candidate passes in round 0, nor in round 1 after the true account alone was
 * peeled, it names no wrong account, so the full attribution runs only then: the
 * decoding those rounds need is done once, for the p-values.
 */
export function judge(f: FingerprintSpec, votes: FingerprintVotes, truth: number, alpha = ALPHA): Verdict {
  const logN = f.bits * Math.LN2
  const lnAlpha = Math.log(alpha)
  const round = (v: FingerprintVotes) => {
    let min = 0
    let wrongPasses = false
    let truthPasses = false
    for (const c of decodeCandidates(f, v)) {
      const lp = trimmedLogP(f, trimmedMatches(f, v, c.account).tested, v.scored)
      const passes = Math.min(0, lp + logN) < lnAlpha
      if (c.account === truth) truthPasses ||= passes
      else {
        min = Math.min(min, lp)
        wrongPasses ||= passes
      }
    }
    return { min, wrongPasses, truthPasses }
  }
  const r0 = round(votes)
  let min = r0.min
  let suspect = r0.wrongPasses
  if (!suspect && r0.truthPasses) {
    const r1 = round(withoutAccount(f, votes, truth))
    min = Math.min(min, r1.min)
    suspect = r1.wrongPasses
  }
  const wrong = suspect ? (attributeVotes(f, votes, { alpha })?.accounts.filter((x) => x.account !== truth).length ?? 0) : 0
  return { wrong, minLnP: min }
}

/**
 * Runs `nullTrials` + `ownTrials` trials. `answers` are the run's watermarked answers
 * (with their plain twins); `label` separates this run's fresh keys from others'.
 */
export function raceFalseAttribution(
  answers: readonly RaceAnswer[],
  nullTrials: number,
  ownTrials: number,
  runSeed: number,
  label: string,
  log: (s: string) => void = () => {},
  onProgress?: (partial: FalseAttributionResult) => void,
): FalseAttributionResult {
  const tok = getTokenizer('cl100k_base')
  const human: Uint32Array[] = []
  for (const t of heldOut().tokens) for (let i = 0; i + TRIAL_TOKENS <= t.length; i += TRIAL_TOKENS) human.push(t.subarray(i, i + TRIAL_TOKENS))
  const plain = answers.map((a) => a.plain.subarray(0, TRIAL_TOKENS)).filter((x) => x.length === TRIAL_TOKENS)
  let minLnP = 0
  let nullDone = 0
  let nullWrong = 0
  let ownDone = 0
  let ownWrong = 0
  const perAnswer = answers.length ? Math.ceil(ownTrials / answers.length) : 0
  const ln10 = Math.log(10)
  const logN = (RACE_SPEC.fingerprint as { bits: number }).bits * Math.LN2
  const snapshot = (): FalseAttributionResult => ({
    nullTrials: nullDone,
    nullWrong,
    ownTrials: ownDone,
    ownWrong,
    ownAnswers: Math.min(answers.length, perAnswer ? Math.ceil(ownDone / perAnswer) : 0),
    minLog10P: minLnP / ln10,
    minLog10PCorrected: Math.min(0, minLnP + logN) / ln10,
    threshold: (Math.log(ALPHA) - logN) / ln10,
  })
  const t0 = performance.now()
  const progress = () => {
    const done = nullDone + ownDone
    if (done % 2500 !== 0) return
    log(`  ${label}: ${ownDone}/${ownTrials} own-key and ${nullDone}/${nullTrials} null trials, ${((performance.now() - t0) / 1000).toFixed(0)} s`)
    onProgress?.(snapshot())
  }
  // Own-key trials first: they are the harder case (the decoder sees a strong codeword).
  for (let i = 0; i < answers.length && ownDone < ownTrials; i++) {
    const a = answers[i]
    const f = a.wm.spec.fingerprint!
    const r = seededRandom(derivedSeed(runSeed, label, 'variants', i))
    // Distinct (window, strength) pairs, drawn without replacement: no text is tried twice.
    const starts = a.ids.length - TRIAL_TOKENS + 1
    const combos = shuffled(starts * STRENGTHS.length, r)
    if (perAnswer > combos.length) throw new RangeError(`own-key trials: ${perAnswer} variants per answer, but a ${a.ids.length}-token answer has only ${combos.length} distinct ones; generate more answers`)
    for (let v = 0; v < perAnswer && ownDone < ownTrials; v++) {
      const start = combos[v] % starts
      const strength = STRENGTHS[Math.floor(combos[v] / starts)]
      const text = tok.decode(a.ids.subarray(start, start + TRIAL_TOKENS))
      const ids = tok.encode(strength ? substituteSynonyms(text, strength, Math.floor(r() * 2 ** 32)).text : text)
      const verdict = judge(f, fingerprintVotes(a.wm, ids), a.account)
      ownWrong += verdict.wrong
      minLnP = Math.min(minLnP, verdict.minLnP)
      ownDone++
      progress()
    }
  }
  for (let t = 0; t < nullTrials; t++) {
    // Every other trial is model text at the run's temperature, when there is any.
    const ids = t % 2 === 1 && plain.length > 0 ? plain[(t >> 1) % plain.length] : human[(t >> 1) % human.length]
    const wm = createWatermarker(generateKey(RACE_SPEC, { secret: derivedSecret(runSeed, label, 'null-key', t) }))
    const v = judge(wm.spec.fingerprint!, fingerprintVotes(wm, ids), -1)
    nullWrong += v.wrong
    minLnP = Math.min(minLnP, v.minLnP)
    nullDone++
    progress()
  }
  return snapshot()
}
