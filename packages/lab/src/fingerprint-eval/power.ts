/**
 * Attribution power of the race fingerprint (the default fingerprinted key) at one
 * entropy point, with real denominators: every answer has its own key, its own
 * uniformly random 32-bit account and its own held-out prompt, so the answers are
 * independent trials and the rates get binomial (Wilson) intervals.
 */
import { attributeVotes, detect, getTokenizer } from '@tracemark/detector'
import { createWatermarker, decodeCandidates, fingerprintVotes, generateKey, scoreTokens, type RaceFingerprintSpec, type SpecInput, type Watermarker } from '@tracemark/watermark'
import { testStatistic, uniqueScore } from '../../../detector/src/detect.js'
import { scanRaceTest } from '../../../detector/src/scan/race-test.js'
import { substituteSynonyms } from '../attacks/index.js'
import { newStepStats, summarizeSteps, type EntropySummary } from '../entropy.js'
import { generate } from '../generate.js'
import { heldOut, promptFor } from '../eval/data.js'
import { continuation, type Sampling } from '../eval/generation.js'
import { derivedSecret, derivedSeed, samplerSeed } from '../eval/keys.js'
import type { NgramModel } from '../model/ngram.js'
import { wilson, type RateInterval } from './wilson.js'

/** The default fingerprinted key: gumbel with a 32-bit race fingerprint. */
export const RACE_SPEC: SpecInput = { scheme: 'gumbel', fingerprint: { bits: 32 } }

/** Tokens of every answer; the shorter lengths are its prefixes. */
export const ANSWER_TOKENS = 400
export const POWER_LENGTHS = [100, 200, 400] as const
export const POWER_ATTACKS = [
  { label: 'none', strength: 0 },
  { label: 'synonym 10%', strength: 0.1 },
] as const

/** One watermarked answer: kept so the false-attribution trials can reuse it. */
export interface RaceAnswer {
  readonly wm: Watermarker
  readonly account: number
  readonly ids: Uint32Array
  /** The plain continuation of the same prompt and sampler seed. */
  readonly plain: Uint32Array
}

export interface PowerCell {
  readonly attack: string
  readonly tokens: number
  readonly n: number
  /** The decoder's top candidate is the true account. */
  readonly exact: RateInterval
  /** The true account is named: trimmed test p < alpha after the 2^32 union bound. */
  readonly attributed: RateInterval
  /** The zero-bit test (no account) at p < alpha. */
  readonly detected: RateInterval
  /**
   * The same two tests as a scan runs them (scanRaceTest): quick votes (ordered-draw
   * keys: the argmin alone ranks candidates, accounts scored exactly), the account
   * decoded only when the per-token p < 1/2: attributed, and detected.
   */
  readonly attributedQuick: RateInterval
  readonly detectedQuick: RateInterval
  /** Accounts other than the true one named (each answer is a chance to name one). */
  readonly wrong: number
}

/** Perplexity ratio of watermarked to plain answers under the unwatermarked model. */
export interface PerplexityRatio {
  readonly watermarked: number
  readonly plain: number
  readonly ratio: number
  readonly low: number
  readonly high: number
}

export interface PowerResult {
  readonly sampling: Sampling
  readonly answers: number
  /** Per-step entropy of the distribution the plain answers were drawn from. */
  readonly entropy: EntropySummary
  readonly cells: PowerCell[]
  readonly perplexity: PerplexityRatio
}

const ALPHA = 1e-6

/** The account of answer `d`: uniform over 2^32, fixed by the run seed. */
export function answerAccount(runSeed: number, label: string, d: number): number {
  return derivedSeed(runSeed, label, 'account', d)
}

/**
 * The perplexity ratio with a 95 % interval. Answer i of both arms shares its prompt
 * and sampler seed, so the per-answer differences of mean NLL are paired (the
 * prompt's own difficulty cancels); the answers are independent, so the mean
 * difference is normal to a good approximation at n >= 100 and the interval is
 * exp(mean d +- 1.96 sd(d) / sqrt(n)).
 */
export function pairedPerplexityRatio(watermarked: readonly number[], plain: readonly number[]): PerplexityRatio {
  const n = watermarked.length
  if (n < 2 || plain.length !== n) throw new RangeError(`pairedPerplexityRatio: need two arms of equal length >= 2 (got ${n} and ${plain.length})`)
  const mean = (x: readonly number[]) => x.reduce((a, b) => a + b, 0) / x.length
  const d = watermarked.map((w, i) => w - plain[i])
  const md = mean(d)
  const sd = Math.sqrt(d.reduce((a, b) => a + (b - md) ** 2, 0) / (n - 1))
  const half = (1.959963984540054 * sd) / Math.sqrt(n)
  return { watermarked: Math.exp(mean(watermarked)), plain: Math.exp(mean(plain)), ratio: Math.exp(md), low: Math.exp(md - half), high: Math.exp(md + half) }
}

/**
 * Generates `answers` watermarked answers (and their plain twins) at `sampling` and
 * measures exact match, attribution and zero-bit detection for every length and
 * attack. `label` separates the keys, accounts and seeds of different runs.
 */
export function racePower(model: NgramModel, sampling: Sampling, answers: number, runSeed: number, label: string, log: (s: string) => void = () => {}): { result: PowerResult; texts: RaceAnswer[] } {
  const tok = getTokenizer('cl100k_base')
  const held = heldOut()
  const counts = new Map<string, { n: number; exact: number; attributed: number; detected: number; wrong: number; attributedQuick: number; detectedQuick: number }>()
  const nllWm: number[] = []
  const nllPlain: number[] = []
  const plainStats = []
  const texts: RaceAnswer[] = []
  const t0 = performance.now()
  for (let d = 0; d < answers; d++) {
    const prompt = promptFor(held, d, 12)
    const wm = createWatermarker(generateKey(RACE_SPEC, { secret: derivedSecret(runSeed, label, 'race-key', d) }))
    const account = answerAccount(runSeed, label, d)
    const seed = samplerSeed(runSeed, d)
    const stats = newStepStats()
    const g = { stats, ids: generate(model, { key: wm, payload: account, prompt, maxTokens: ANSWER_TOKENS, seed, stopAtEnd: false, stats, ...sampling }).ids }
    const p = continuation(model, null, prompt, ANSWER_TOKENS, seed, sampling)
    nllWm.push(-g.stats.logProb.reduce((a, b) => a + b, 0) / g.ids.length)
    nllPlain.push(-p.stats.logProb.reduce((a, b) => a + b, 0) / p.ids.length)
    plainStats.push(p.stats)
    texts.push({ wm, account, ids: g.ids, plain: p.ids })
    const f = wm.spec.fingerprint!
    for (const attack of POWER_ATTACKS) {
      for (const len of POWER_LENGTHS) {
        const text = tok.decode(g.ids.subarray(0, len))
        const ids = tok.encode(attack.strength ? substituteSynonyms(text, attack.strength, derivedSeed(runSeed, label, 'attack', d)).text : text)
        const key = `${attack.label}\u0000${len}`
        const c = counts.get(key) ?? { n: 0, exact: 0, attributed: 0, detected: 0, wrong: 0, attributedQuick: 0, detectedQuick: 0 }
        counts.set(key, c)
        // detect() runs the zero-bit test and the attribution over all 2^32 accounts.
        const r = detect(ids, wm, { alpha: ALPHA })
        const named = r.attribution?.accounts ?? []
        c.n++
        if (decodeCandidates(f, fingerprintVotes(wm, ids))[0]?.account === account) c.exact++
        if (named.some((a) => a.account === account)) c.attributed++
        c.wrong += named.filter((a) => a.account !== account).length
        if (r.detected) c.detected++
        // The scan's test: quick votes, the account decoded past the per-token gate.
        const u = uniqueScore(scoreTokens(wm, ids))
        const scan = scanRaceTest(wm, f as RaceFingerprintSpec, testStatistic(wm.spec, u.n, u.sum), ids, {})
        if (scan.stat.logP < Math.log(ALPHA)) c.detectedQuick++
        if (scan.votes && attributeVotes(f, scan.votes, { alpha: ALPHA })?.accounts.some((a) => a.account === account)) c.attributedQuick++
      }
    }
    if ((d + 1) % 20 === 0) log(`  ${label}: ${d + 1}/${answers} answers, ${((performance.now() - t0) / 1000).toFixed(0)} s`)
  }
  const cells: PowerCell[] = []
  for (const attack of POWER_ATTACKS) {
    for (const len of POWER_LENGTHS) {
      const c = counts.get(`${attack.label}\u0000${len}`)!
      cells.push({
        attack: attack.label,
        tokens: len,
        n: c.n,
        exact: wilson(c.exact, c.n),
        attributed: wilson(c.attributed, c.n),
        detected: wilson(c.detected, c.n),
        attributedQuick: wilson(c.attributedQuick, c.n),
        detectedQuick: wilson(c.detectedQuick, c.n),
        wrong: c.wrong,
      })
    }
  }
  const result: PowerResult = { sampling, answers, entropy: summarizeSteps(plainStats).entropy, cells, perplexity: pairedPerplexityRatio(nllWm, nllPlain) }
  return { result, texts }
}
