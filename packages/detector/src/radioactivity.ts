import { contextWidth, fingerprintVotes, gumbelNonces, isRaceFingerprint, scoreTokens, type TokenScores, type Watermarker } from '@tracemark/watermark'
import { attributeVotes, type Attribution } from './attribution.js'
import { raceZeroBit, testStatistic } from './detect.js'
import { addTuple, bestStream, type ScoredTuples } from './nonces.js'
import { toPValue } from './stats/tails.js'

/**
 * Radioactivity (Sander et al. 2024): was a suspect model trained on our
 * watermarked output? Its own text then carries a faint trace of the key.
 * One exact test pools every scored tuple of the suspect's text, each counted
 * once across ALL texts (a model repeats itself far more than a document does),
 * and excluding every tuple that also occurs in the inputs we fed it (prompts,
 * or in reading mode the teacher-forced text): a clean model that merely copies
 * its input would otherwise inherit the input's watermark and look radioactive.
 */
export interface RadioactivityResult {
  pValue: number
  log10PValue: number
  /** Unique tuples scored. */
  scored: number
  score: number
  expected: number
  /** Tuples dropped because they also occur in the inputs. */
  excludedInput: number
  /** Tuples dropped because they were already counted. */
  duplicates: number
  nullHypothesis: string
  /**
   * Closed-model setting, keys with a fingerprint: the account(s) whose fingerprint
   * shows through the suspect's answers (same dedup and input exclusion), or null.
   */
  attribution?: Attribution | null
}

function tuplesOf(wm: Watermarker, texts: ArrayLike<ArrayLike<number>>): Set<number> {
  const out = new Set<number>()
  for (let i = 0; i < texts.length; i++) {
    const s = scoreTokens(wm, texts[i])
    for (let j = 0; j < s.count; j++) out.add(s.tuple[j])
  }
  return out
}

function pooled(wm: Watermarker, parts: ScoredTuples[], exclude: Set<number>, dedup = true): RadioactivityResult {
  const seen = new Set<number>()
  // One sum per nonce stream of the key (gumbel with nonces), else one.
  const sums = new Float64Array(gumbelNonces(wm.spec))
  let n = 0, excludedInput = 0, duplicates = 0
  for (const s of parts) {
    for (let j = 0; j < s.count; j++) {
      const t = s.tuple[j]
      if (exclude.has(t)) {
        excludedInput++
        continue
      }
      if (dedup && seen.has(t)) {
        duplicates++
        continue
      }
      seen.add(t)
      n++
      addTuple(s, j, sums)
    }
  }
  const stat = bestStream(wm.spec, n, sums)
  const sum = stat.sum
  const p = toPValue(stat.logP)
  return {
    pValue: p.pValue,
    log10PValue: p.log10PValue,
    scored: n,
    score: sum,
    expected: stat.expected,
    excludedInput,
    duplicates,
    nullHypothesis: `the suspect's outputs do not depend on the key (${stat.hypothesis.replace(/^the text does not depend on the key: /, '')})`,
  }
}

/** The tuples at indices `keep` of a score array, every stream's score with them. */
function selectTuples(s: TokenScores, keep: number[]): ScoredTuples {
  const all = s.addStreams
  const addStreams = all ? (k: number, sums: Float64Array) => all(keep[k], sums) : null
  return { tuple: Float64Array.from(keep, (j) => s.tuple[j]), score: Float64Array.from(keep, (j) => s.score[j]), count: keep.length, nonces: s.nonces, addStreams }
}

export interface RadioactivityOptions {
  /**
   * Turn off the input-tuple exclusion. Valid only when the inputs do not depend
   * on the key (human text, or the provider's own unwatermarked generations); with
   * watermarked inputs a clean model that copies or predicts them well is accused.
   */
  excludeInputs?: boolean
  /** Turn off the global dedup (only to show why it is needed). */
  dedup?: boolean
  /**
   * `all` (default): drop every tuple that occurs in any prompt. `causal`: the
   * samples are in the order the prompts were sent, in rounds (`round` of each
   * sample, non-decreasing; default: each sample its own round), and no prompt
   * of a round was sent before every answer of the earlier rounds came back; an
   * answer's tuple is dropped when it occurs in a prompt of its round or an
   * earlier one. Valid for any suspect whose answers depend on
   * the prompts sent so far and not otherwise on the key (one that remembers
   * earlier prompts included), and needed when later prompts reveal our own
   * answers step by step (`servedPrefixPrompts`).
   */
  exclusion?: 'all' | 'causal'
  /** Registered accounts for fingerprint attribution (default: every 2^bits account). */
  accounts?: ArrayLike<number>
  /** Significance level for naming an account (default 1e-6). */
  attributionAlpha?: number
}

function joinedText(prompt: ArrayLike<number>, answer: ArrayLike<number>): Uint32Array {
  const full = new Uint32Array(prompt.length + answer.length)
  full.set(Array.from(prompt))
  full.set(Array.from(answer), prompt.length)
  return full
}

/** Codeword positions a probe's list decoder searches (see radioactivityFromAnswers). */
const PROBE_RELIABLE_POSITIONS = 20

/**
 * Closed-model setting: the suspect's answers to our prompts (token ids; an answer
 * is scored with its prompt as left context, so the first windows are complete).
 */
export function radioactivityFromAnswers(
  wm: Watermarker,
  samples: Array<{ prompt: ArrayLike<number>; answer: ArrayLike<number>; round?: number }>,
  options: RadioactivityOptions = {},
): RadioactivityResult {
  const causal = options.exclusion === 'causal'
  const excluding = options.excludeInputs !== false
  const exclude = !excluding || causal ? new Set<number>() : tuplesOf(wm, samples.map((s) => s.prompt))
  const joined = samples.map(({ prompt, answer }) => joinedText(prompt, answer))
  let causalDropped = 0
  // The last sample of each sample's round: every prompt up to it may have been sent before the answer came back.
  const roundEnd = new Int32Array(samples.length)
  for (let i = samples.length - 1; i >= 0; i--) {
    const r = samples[i].round ?? i
    if (i > 0 && (samples[i - 1].round ?? i - 1) > r) throw new RangeError(`sample ${i}: rounds must not decrease`)
    roundEnd[i] = i + 1 < samples.length && (samples[i + 1].round ?? i + 1) === r ? roundEnd[i + 1] : i
  }
  let sent = 0
  const send = (upTo: number) => {
    for (; sent <= upTo; sent++) for (const t of tuplesOf(wm, [samples[sent].prompt])) exclude.add(t)
  }
  const parts = samples.map(({ prompt }, i) => {
    const s = scoreTokens(wm, joined[i])
    // Causal exclusion: the prompts sent before this answer came back join the set as we go.
    if (excluding && causal) send(roundEnd[i])
    // Keep only positions inside the answer.
    const keep: number[] = []
    for (let j = 0; j < s.count; j++) {
      if (s.position[j] < prompt.length) continue
      if (causal && exclude.has(s.tuple[j])) causalDropped++
      else keep.push(j)
    }
    return selectTuples(s, keep)
  })
  const result = pooled(wm, parts, causal ? new Set() : exclude, options.dedup !== false)
  result.excludedInput += causalDropped
  const f = wm.spec.fingerprint
  if (!f) return result
  // The fingerprint's own tuples, under the same two safeguards.
  const excludeVotes = new Set<number>()
  if (excluding && !causal) for (const s of samples) fingerprintVotes(wm, s.prompt, { seen: excludeVotes })
  const votes = fingerprintVotes(wm, []) // empty: every answer adds to it
  const seen = new Set<number>()
  let voted = 0
  samples.forEach((s, i) => {
    if (excluding && causal) for (; voted <= roundEnd[i]; voted++) fingerprintVotes(wm, samples[voted].prompt, { seen: excludeVotes })
    fingerprintVotes(wm, joined[i], { start: s.prompt.length, exclude: excludeVotes, into: votes, seen: options.dedup === false ? new Set() : seen })
  })
  // A probe decodes its pooled votes once: search the 20 most reliable codeword
  // positions, not only the 12 a scan affords per document (~10x the subsets). A walk's
  // evidence is spread thin over the positions (a student sampled hotter than its
  // teacher): measured, the served account's byte led at only 3 of the 12 most reliable
  // positions, 5 of the 20 (4 are needed), 6 of all 32.
  const reliable = Math.min(f.positions, PROBE_RELIABLE_POSITIONS)
  const attribution = attributeVotes(f, votes, { accounts: options.accounts, alpha: options.attributionAlpha, reliable })
  if (!isRaceFingerprint(f)) return { ...result, attribution }
  // A race fingerprint carries the zero-bit watermark too: without the account the
  // per-token test searches 256 byte values; the best decoded (or registered)
  // account adds the pooled evidence (see raceZeroBit).
  const stat = raceZeroBit(f, testStatistic(wm.spec, result.scored, result.score), votes, options.accounts, reliable)
  const p = toPValue(stat.logP)
  return { ...result, pValue: p.pValue, log10PValue: p.log10PValue, nullHypothesis: `the suspect's outputs do not depend on the key (${stat.hypothesis.replace(/^the text does not depend on the key: /, '')})`, attribution }
}

/**
 * Open-model (reading) setting: teacher-force our watermarked texts through the
 * suspect and score its top-1 prediction at every position, in the window of our
 * text. `predict(context)` returns the suspect's most likely next token.
 *
 * Weak against deterministic schemes (gumbel, the default): a student that learned
 * our text predicts our own next token, a tuple the exclusion must drop. In the lab
 * it gave log10 p ≈ 0 for students the closed-model test convicts at 1e-30; with an
 * open model, prefer sampling from it and `radioactivityFromAnswers`.
 */
export function radioactivityByReading(
  wm: Watermarker,
  texts: ArrayLike<number>[],
  predict: (context: ArrayLike<number>) => number,
  options: RadioactivityOptions = {},
): RadioactivityResult {
  const exclude = options.excludeInputs === false ? new Set<number>() : tuplesOf(wm, texts)
  const h = contextWidth(wm.spec)
  const probe = new Uint32Array(h + 1)
  const parts = texts.map((raw) => {
    const text = Uint32Array.from(raw)
    const N = gumbelNonces(wm.spec)
    const tuple: number[] = []
    const score: number[] = []
    const streams: ((j: number, sums: Float64Array) => void)[] = []
    for (let i = h; i < text.length; i++) {
      // The window of our text before position i, then the suspect's prediction there.
      for (let j = 0; j < h; j++) probe[j] = text[i - h + j]
      probe[h] = predict(text.subarray(0, i))
      const s = scoreTokens(wm, probe)
      tuple.push(s.tuple[0])
      score.push(s.score[0])
      if (s.addStreams) streams.push(s.addStreams)
    }
    const addStreams = N > 1 ? (k: number, sums: Float64Array) => streams[k](0, sums) : null
    return { tuple: Float64Array.from(tuple), score: Float64Array.from(score), count: tuple.length, nonces: N, addStreams }
  })
  return pooled(wm, parts, exclude, options.dedup !== false)
}
