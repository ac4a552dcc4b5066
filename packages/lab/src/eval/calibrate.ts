/**
 * Calibration of the lab's entropy against the field's published anchor.
 *
 * Kirchenbauer et al. 2023 ("A Watermark for Large Language Models", ICML), Table 2:
 * multinomial sampling, gamma 0.25, delta 2, LeftHash on the previous token (h = 1),
 * ~200-token continuations of C4 prompts with OPT-1.3B, z-score threshold 4: TPR 0.994
 * (FNR 0.006) at FPR 0. We sweep the temperature of the reference model, generate
 * 200 tokens with exactly that configuration, and measure the z-score distribution:
 * the calibrated point is the temperature at which the fitted TPR at z = 4,
 * Φ((mean z − 4) / sd z), equals 0.994. TPR near 1 is flat in the entropy, so the fit
 * on the mean and spread of z uses every document instead of counting the few misses.
 *
 * MarkMyWords (Piet et al. 2023) reports KGW on Llama-2-7B-chat detectable in fewer
 * than 100 tokens (their "size": the median number of tokens needed to reach
 * p < 0.02): we report that median at each temperature as a second check.
 */
import { detect } from '@tracemark/detector'
import { createWatermarker } from '@tracemark/watermark'
import { summarizeSteps, type EntropySummary } from '../entropy.js'
import type { EvalConfig } from './configs.js'
import { heldOut, promptFor } from './data.js'
import { continuation } from './generation.js'
import { documentKey, samplerSeed } from './keys.js'
import { loadOrTrainDefaultModel } from '../model/default.js'
import { prefixText } from './measure.js'

/** The paper's configuration: gamma 0.25, delta 2, LeftHash h = 1. */
export const KGW_PAPER: EvalConfig = {
  label: 'kgw-paper',
  description: 'Kirchenbauer et al. 2023 Table 2: gamma 0.25, delta 2, LeftHash h=1',
  input: { scheme: 'kgw', gamma: 0.25, delta: 2, h: 1, seeding: 'left' },
}
/** Table 2, multinomial sampling, delta 2, gamma 0.25, T = 200, z = 4. */
export const PAPER_TPR_Z4 = 0.994

export interface CalibrationRow {
  readonly temperature: number
  readonly docs: number
  /** Host distribution of the unwatermarked generations. */
  readonly entropy: EntropySummary
  readonly perplexity: number
  readonly meanZ: number
  readonly sdZ: number
  /** Fraction of documents with z > 4 at 200 tokens. */
  readonly tprZ4: number
  /** Φ((meanZ − 4) / sdZ). */
  readonly fittedTprZ4: number
  /** Median over documents of the tokens (step 10) needed for p < 0.02 (MarkMyWords' size); null if > tokens. */
  readonly medianTokensP002: number | null
}

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 via erf; |error| < 1.5e-7). */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2
  const t = 1 / (1 + 0.3275911 * z)
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z)
  return x >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y)
}

/** One temperature of the sweep: `docs` prompts, 200 tokens each, watermarked and plain. */
export function calibrationRow(temperature: number, docs: number, seed = 1, tokens = 200): CalibrationRow {
  const model = loadOrTrainDefaultModel()
  const held = heldOut()
  const z: number[] = []
  const need: number[] = []
  const plain = []
  for (let d = 0; d < docs; d++) {
    const prompt = promptFor(held, d, 12)
    const sampling = { temperature, topP: 1 }
    const wm = createWatermarker(documentKey(KGW_PAPER, seed, d))
    const g = continuation(model, wm, prompt, tokens, samplerSeed(seed, d), sampling)
    z.push(detect(prefixText(g.ids, tokens), wm).zScore)
    let k = 10
    while (k <= tokens && detect(prefixText(g.ids, k), wm).pValue >= 0.02) k += 10
    need.push(k)
    plain.push(continuation(model, null, prompt, tokens, samplerSeed(seed, d), sampling).stats)
  }
  const mean = z.reduce((a, b) => a + b, 0) / z.length
  const sd = Math.sqrt(z.reduce((a, b) => a + (b - mean) ** 2, 0) / (z.length - 1))
  const sorted = need.slice().sort((a, b) => a - b)
  const med = sorted[Math.floor((sorted.length - 1) / 2)]
  const s = summarizeSteps(plain)
  return {
    temperature,
    docs,
    entropy: s.entropy,
    perplexity: s.perplexity,
    meanZ: mean,
    sdZ: sd,
    tprZ4: z.filter((v) => v > 4).length / z.length,
    fittedTprZ4: normalCdf((mean - 4) / sd),
    medianTokensP002: med > tokens ? null : med,
  }
}
