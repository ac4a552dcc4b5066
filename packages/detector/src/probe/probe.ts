import { createWatermarker, type Watermarker, type WatermarkKey } from '@tracemark/watermark'
import { tokenize, type DetectOptions } from '../detect.js'
import { radioactivityFromAnswers, type RadioactivityResult } from '../radioactivity.js'
import { collectAnswers, type CollectOptions } from './collect.js'
import { servedPrefixPrompts, WALK_STEP } from './served-prefix.js'
import { getTokenizer, type TokenizerName } from '../text/tokenizer.js'

/**
 * The probe's default sampling temperature. A suspect sampled near its mode
 * repeats what it learned most: in the lab, a student with 1 % watermarked
 * training data gave log10 p = -3.2 at temperature 1 and -36 at 0.5 for the
 * same 100k tokens (docs/radioactivity). Any temperature keeps the test
 * exact: the null only needs the suspect's answers not to depend on the key.
 */
export const PROBE_TEMPERATURE = 0.5

export interface ProbeOptions extends Omit<CollectOptions, 'countTokens' | 'prompts'> {
  /** Prompts to send (required unless `served` is given). */
  prompts?: readonly string[]
  /**
   * The answers we served to the suspected account (the provider's logs). The
   * probe then walks the suspect along them instead of sending `prompts`: each
   * logged prompt followed by the first j tokens of our answer, j = start,
   * start + step, ..., asking `step` tokens each, one pass, scored with causal
   * exclusion (see `servedPrefixPrompts`). Strong at any temperature. The
   * default step 1 asks one token at every position of our answers: the tokens
   * queried are as many as with a longer step, but each is asked exactly where
   * our watermark chose, not after the suspect has left our path.
   */
  served?: ReadonlyArray<{ prompt: string; answer: string }>
  /** The walk's first prefix length and stride in tokens (default 8 and 1). */
  walk?: { start?: number; step?: number }
  /** Significance level for `radioactive` (default 1e-6). */
  alpha?: number
  /** Registered accounts for fingerprint attribution (default: every 2^bits account). */
  accounts?: ArrayLike<number>
  /** Tokenizer options for the answers (default: the key's tokenizer, normalized as `detect` does). */
  tokenizer?: Pick<DetectOptions, 'tokenizer' | 'tokenizerBackend' | 'normalize'>
  /** Receives the collected prompts and answers (the evidence) before they are scored. */
  onAnswers?: (answers: ProbeAnswer[]) => void
}

/** The options of a probe that decide its figures once the answers are in. */
export type ProbeScoringOptions = Pick<ProbeOptions, 'alpha' | 'accounts' | 'tokenizer'>

export interface ProbeResult extends RadioactivityResult {
  keyId: string
  /** `pValue < alpha`: the suspect was trained on text watermarked with this key. */
  radioactive: boolean
  alpha: number
  answers: number
  /** Tokens of the suspect's answers (in the key's tokenizer). */
  queriedTokens: number
  /** Distinct prompts sent. */
  prompts: number
}

/**
 * The radioactivity test against a suspect model behind an OpenAI-compatible API
 * (closed-model setting): query it with the prompts up to a token budget, then
 * score every answer with the prompt as left context, each (window, token) tuple
 * once across all answers, excluding tuples that occur in the prompts.
 *
 * Prompts should be text the suspect could not have learned the key from: human
 * text, or the prompts the suspected account sent (the provider's logs) — the
 * stronger choice, since a distilled model answers those most like its teacher.
 */
export async function probeEndpoint(key: WatermarkKey | Watermarker, o: ProbeOptions): Promise<ProbeResult> {
  const alpha = o.alpha ?? 1e-6
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`)
  const wm = 'session' in key ? key : createWatermarker(key)
  const ids = (text: string) => tokenize(text, wm.spec, o.tokenizer)
  const walk = o.served ? walkPrompts(wm, o.served, o.walk ?? {}) : null
  const prompts = o.prompts
  if (!walk && !prompts) throw new Error('give prompts to send, or the answers served to the suspected account')
  const collect = { ...o, temperature: o.temperature ?? PROBE_TEMPERATURE, countTokens: (t: string) => ids(t).length }
  const answers: ProbeAnswer[] = []
  if (walk) {
    // Round by round: a round is sent only once the previous one came back.
    let tokens = 0
    for (const round of walk.rounds) {
      if (tokens >= (o.budget ?? Infinity)) break
      const got = await collectAnswers({ ...collect, prompts: round.prompts, maxTokens: walk.step, maxAnswers: round.prompts.length, budget: Infinity })
      for (const a of got) answers.push({ prompt: a.prompt, text: a.text, round: round.index })
      tokens += got.reduce((n, a) => n + a.tokens, 0)
    }
  } else {
    for (const a of await collectAnswers({ ...collect, prompts: prompts! })) answers.push({ prompt: a.prompt, text: a.text })
  }
  o.onAnswers?.(answers)
  return scoreProbeAnswers(wm, answers, o)
}

/** One prompt sent and the suspect's answer; `round` for a walk along served answers. */
export interface ProbeAnswer {
  prompt: string
  text: string
  /** The walk round the prompt was sent in: its tuples are excluded from this round on (causal exclusion). */
  round?: number
}

/**
 * The figures of a probe from its collected answers: what `probeEndpoint` reports
 * and what `tracemark verify` recomputes from an evidence bundle. Answers with a
 * `round` (a walk) are scored with causal exclusion, the others with all prompts excluded.
 */
export function scoreProbeAnswers(key: WatermarkKey | Watermarker, answers: readonly ProbeAnswer[], o: ProbeScoringOptions = {}): ProbeResult {
  const alpha = o.alpha ?? 1e-6
  const wm = 'session' in key ? key : createWatermarker(key)
  const ids = (text: string) => tokenize(text, wm.spec, o.tokenizer)
  const samples = answers.map((a) => ({ prompt: ids(a.prompt), answer: ids(a.text), round: a.round }))
  const walked = answers.some((a) => a.round !== undefined)
  const r = radioactivityFromAnswers(wm, samples, { accounts: o.accounts, attributionAlpha: alpha, ...(walked ? { exclusion: 'causal' as const } : {}) })
  return {
    keyId: wm.keyId,
    ...r,
    radioactive: r.pValue < alpha,
    alpha,
    answers: answers.length,
    queriedTokens: samples.reduce((n, s) => n + s.answer.length, 0),
    prompts: new Set(answers.map((a) => a.prompt)).size,
  }
}

/** The walk's prompts as text: each served prompt, then our answer's first j tokens decoded. */
function walkPrompts(wm: Watermarker, served: ReadonlyArray<{ prompt: string; answer: string }>, o: { start?: number; step?: number }) {
  const tok = getTokenizer(wm.spec.tokenizer as TokenizerName)
  const step = o.step ?? WALK_STEP
  const ids = served.map((s) => ({ prompt: tok.encode(s.prompt), answer: tok.encode(s.answer) }))
  const rounds: Array<{ index: number; prompts: string[] }> = []
  for (const { prompt, round } of servedPrefixPrompts(ids, { start: o.start, step })) {
    if (rounds.length === 0 || rounds[rounds.length - 1].index !== round) rounds.push({ index: round, prompts: [] })
    rounds[rounds.length - 1].prompts.push(tok.decode(prompt))
  }
  return { rounds, step }
}
