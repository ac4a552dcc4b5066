import { createWatermarker, type Watermarker, type WatermarkKey } from '@tracemark/watermark'
import { tokenize, type DetectOptions } from '../detect.js'
import { radioactivityFromAnswers, type RadioactivityResult } from '../radioactivity.js'
import { collectAnswers, type Answer, type CollectOptions } from './collect.js'

/**
 * The probe's default sampling temperature. A suspect sampled near its mode
 * repeats what it learned most: in the lab, a student with 1 % watermarked
 * training data gave log10 p = -3.2 at temperature 1 and -36 at 0.5 for the
 * same 100k tokens (docs/radioactivity). Any temperature keeps the test
 * exact: the null only needs the suspect's answers not to depend on the key.
 */
export const PROBE_TEMPERATURE = 0.5

export interface ProbeOptions extends Omit<CollectOptions, 'countTokens'> {
  /** Significance level for `radioactive` (default 1e-6). */
  alpha?: number
  /** Registered accounts for fingerprint attribution (default: every 2^bits account). */
  accounts?: ArrayLike<number>
  /** Tokenizer options for the answers (default: the key's tokenizer, normalized as `detect` does). */
  tokenizer?: Pick<DetectOptions, 'tokenizer' | 'tokenizerBackend' | 'normalize'>
  /** Receives the collected prompts and answers (the evidence) before they are scored. */
  onAnswers?: (answers: Answer[]) => void
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
  const answers = await collectAnswers({ ...o, temperature: o.temperature ?? PROBE_TEMPERATURE, countTokens: (t) => ids(t).length })
  o.onAnswers?.(answers)
  return scoreProbeAnswers(wm, answers, o)
}

/**
 * The figures of a probe from its collected answers: what `probeEndpoint` reports
 * and what `tracemark verify` recomputes from an evidence bundle.
 */
export function scoreProbeAnswers(key: WatermarkKey | Watermarker, answers: ReadonlyArray<Pick<Answer, 'prompt' | 'text'>>, o: ProbeScoringOptions = {}): ProbeResult {
  const alpha = o.alpha ?? 1e-6
  const wm = 'session' in key ? key : createWatermarker(key)
  const ids = (text: string) => tokenize(text, wm.spec, o.tokenizer)
  const samples = answers.map((a) => ({ prompt: ids(a.prompt), answer: ids(a.text) }))
  const r = radioactivityFromAnswers(wm, samples, { accounts: o.accounts, attributionAlpha: alpha })
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
