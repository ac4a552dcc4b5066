/**
 * The units of work of an evaluation run. A job is plain data (it crosses to a worker
 * thread by structured clone) and `runJob` is a pure function of it and the model, so
 * the same code runs in a worker or in-process.
 */
import { createWatermarker, type SpecInput, type WatermarkKey } from '@tracemark/watermark'
import { getTokenizer, detect } from '@tracemark/detector'
import type { StepStats } from '../entropy.js'
import { loadOrTrainDefaultModel } from '../model/default.js'
import type { AttackCondition } from './attack-plan.js'
import type { EvalConfig } from './configs.js'
import { continuation, emojiContinuation, greenListKl, type Sampling } from './generation.js'
import { documentKey, derivedSeed, investigatorKey, samplerSeed } from './keys.js'
import { measureDocument, prefixText, log10p } from './measure.js'
import { FPR_ALPHAS } from './report.js'

interface Common {
  /** Run seed. */
  readonly seed: number
  readonly doc: number
  readonly prompt: Uint32Array
  readonly tokens: number
  /** The host's temperature and top-p for this run. */
  readonly sampling: Sampling
}

/** Watermarked generation of one document under one configuration, and everything measured on it. */
export interface GenJob extends Common {
  readonly kind: 'gen'
  readonly config: EvalConfig
  readonly lengths: readonly number[]
  readonly conditions: readonly AttackCondition[]
  readonly humanText: string
  /** Steps of exact KL to measure (0: none). */
  readonly klSteps: number
  readonly keepText: boolean
}

/** Unwatermarked generation from the same prompt and sampler seed. */
export interface PlainJob extends Common {
  readonly kind: 'plain'
}

/** The emoji attack on one document at one strength. */
export interface EmojiJob extends Common {
  readonly kind: 'emoji'
  readonly config: EvalConfig
  readonly strength: number
  readonly lengths: readonly number[]
}

/** False positives: human pieces scored with the configuration's one investigator key. */
export interface FprJob {
  readonly kind: 'fpr'
  readonly seed: number
  readonly config: EvalConfig
  /** `count` pieces of `pieceTokens` ids, back to back. */
  readonly ids: Uint32Array
  readonly count: number
  readonly pieceTokens: number
  /** Further keys scored on the same pieces, to show how much the one-key rate depends on the key. */
  readonly extraKeys: number
}

export type Job = GenJob | PlainJob | EmojiJob | FprJob

export interface GenResult {
  readonly kind: 'gen'
  readonly label: string
  readonly doc: number
  readonly ms: number
  readonly tokens: number
  readonly ll: { sum: number; count: number }
  /** Entropy (nats) of the generating distribution at each step. */
  readonly entropy: number[]
  readonly clean: number[]
  readonly attacked: Record<string, number[]>
  readonly needed: number | null
  readonly scored: number
  readonly kl: { sum: number; steps: number; biased: number } | null
  readonly text?: string
}

export interface PlainResult {
  readonly kind: 'plain'
  readonly doc: number
  readonly ms: number
  readonly tokens: number
  readonly ll: { sum: number; count: number }
  readonly entropy: number[]
  readonly text?: string
}

export interface EmojiResult {
  readonly kind: 'emoji'
  readonly label: string
  readonly doc: number
  readonly strength: number
  readonly emojis: number
  readonly log10p: number[]
}

export interface FprResult {
  readonly kind: 'fpr'
  readonly label: string
  readonly keyId: string
  /** log10 p of each piece under the investigator key. */
  readonly log10p: number[]
  readonly tokens: number
  /** Per extra key: the count of pieces with p below each FPR level (FPR_ALPHAS order). */
  readonly extraCounts: number[][]
}

export type JobResult = (GenResult | PlainResult | EmojiResult | FprResult) & {
  /** Wall time of the whole job in milliseconds (for the scheduler's time estimates). */
  readonly jobMs?: number
}

const model = () => loadOrTrainDefaultModel()

/** Loads what every job needs (model, tokenizer), so the first job's timing is fair. */
export function warmUp(): void {
  model()
  getTokenizer('cl100k_base').encode('warm up')
}

export function runJob(job: Job): JobResult {
  const t0 = performance.now()
  const r = runJobBody(job)
  return { ...r, jobMs: performance.now() - t0 }
}

function runJobBody(job: Job): JobResult {
  switch (job.kind) {
    case 'gen': {
      const m = model()
      const key = documentKey(job.config, job.seed, job.doc)
      const wm = createWatermarker(key)
      const g = continuation(m, wm, job.prompt, job.tokens, samplerSeed(job.seed, job.doc), job.sampling)
      const measures = measureDocument(wm, g.ids, job.lengths, job.conditions, derivedSeed(job.seed, 'attack', job.doc), job.humanText)
      const kl = job.klSteps > 0 && isGreenList(job.config.input) ? greenListKl(m, key, job.prompt, g.ids, job.klSteps, job.sampling.temperature) : null
      return {
        kind: 'gen',
        label: job.config.label,
        doc: job.doc,
        ms: g.ms,
        tokens: g.ids.length,
        ll: logLikelihood(g.stats),
        entropy: g.stats.entropy,
        ...measures,
        kl,
        text: job.keepText ? prefixText(g.ids, g.ids.length) : undefined,
      }
    }
    case 'plain': {
      const m = model()
      const g = continuation(m, null, job.prompt, job.tokens, samplerSeed(job.seed, job.doc), job.sampling)
      return {
        kind: 'plain',
        doc: job.doc,
        ms: g.ms,
        tokens: g.ids.length,
        ll: logLikelihood(g.stats),
        entropy: g.stats.entropy,
        text: job.doc === 0 ? prefixText(g.ids, g.ids.length) : undefined,
      }
    }
    case 'emoji': {
      const wm = createWatermarker(documentKey(job.config, job.seed, job.doc))
      const e = emojiContinuation(model(), wm, job.prompt, job.tokens, samplerSeed(job.seed, job.doc), job.strength, derivedSeed(job.seed, 'emoji', job.doc, job.strength), job.sampling)
      return {
        kind: 'emoji',
        label: job.config.label,
        doc: job.doc,
        strength: job.strength,
        emojis: e.emojis,
        log10p: job.lengths.map((L) => log10p(prefixText(e.ids, L), wm)),
      }
    }
    case 'fpr': {
      const score = (key: WatermarkKey) => {
        const wm = createWatermarker(key)
        const out: number[] = []
        for (let k = 0; k < job.count; k++) out.push(detect(job.ids.subarray(k * job.pieceTokens, (k + 1) * job.pieceTokens), wm).log10PValue)
        return { keyId: wm.keyId, out }
      }
      const main = score(investigatorKey(job.config, job.seed))
      const extraCounts: number[][] = []
      for (let e = 0; e < job.extraKeys; e++) {
        const { out } = score(investigatorKey(job.config, job.seed, e + 1))
        extraCounts.push(FPR_ALPHAS.map((a) => out.filter((v) => v < Math.log10(Number(a))).length))
      }
      return { kind: 'fpr', label: job.config.label, keyId: main.keyId, log10p: main.out, tokens: job.count * job.pieceTokens, extraCounts }
    }
  }
}

/** Σ ln p of the continuation under the unwatermarked model (masked, temperature 1), recorded while generating. */
function logLikelihood(stats: StepStats): { sum: number; count: number } {
  let sum = 0
  for (const v of stats.logProb) sum += v
  return { sum, count: stats.logProb.length }
}

function isGreenList(input: SpecInput): boolean {
  return input.scheme === 'kgw' || input.scheme === 'unigram'
}
