import type { EntropySummary } from '../entropy.js'
/** The evaluation report: JSON-serializable, written as eval.json and rendered as eval.md. */
import type { WatermarkSpec } from '@tracemark/watermark'

/** FPR levels of the power tables, as strings (JSON keys). */
export const POWER_ALPHAS = ['1e-2', '1e-4', '1e-6'] as const
export type PowerAlpha = (typeof POWER_ALPHAS)[number]
/** Levels of the empirical false-positive test. */
export const FPR_ALPHAS = ['1e-2', '1e-3', '1e-4'] as const
export type FprAlpha = (typeof FPR_ALPHAS)[number]

/** One row of a power table: a condition (no attack, or attack × strength) at every prefix length. */
export interface PowerRow {
  /** `none`, or the condition id (`delete@0.3`, `homoglyph@1:raw`). */
  readonly id: string
  readonly title: string
  /** `none` or the attack's registry name. */
  readonly attack: string
  readonly strength: number
  /** Detection normalized the text (false only on diagnostic rows). */
  readonly normalized: boolean
  /** Documents measured. */
  readonly n: number
  /** TPR per alpha, aligned with `EvalReport.settings.lengths`. */
  readonly tpr: Record<PowerAlpha, number[]>
  /** Median log10 p per length. */
  readonly medianLog10P: number[]
}

export interface FprRow {
  readonly alpha: FprAlpha
  readonly count: number
  readonly rate: number
  /** Clopper–Pearson 95 % interval of the rate. */
  readonly ci95: [number, number]
  /** Whether the interval contains alpha, lies entirely below it, or (a failure) above it. */
  readonly verdict: 'contains alpha' | 'below alpha' | 'ABOVE alpha'
}

export interface KeySpreadRow {
  readonly alpha: FprAlpha
  /** Count of pieces with p < alpha under each further key. */
  readonly counts: number[]
  readonly min: number
  readonly median: number
  readonly max: number
  /** Pooled over the further keys: rate and Clopper–Pearson 95 % interval (pieces × keys trials, not independent across keys). */
  readonly pooledRate: number
  readonly pooledCi95: [number, number]
  /**
   * Variance of the per-key counts over the binomial variance n·alpha·(1 − alpha): ~1 when
   * pieces are independent trials under every key; much larger when the evidence of all
   * pieces moves together with the key (tuples that recur in every piece of human text).
   */
  readonly dispersion: number
}

export interface ConfigReport {
  readonly label: string
  readonly description: string
  /** The resolved public spec. */
  readonly spec: WatermarkSpec
  /** Context width h (0 for unigram). */
  readonly h: number
  readonly docs: number
  readonly power: PowerRow[]
  /** 99th percentile over documents of the tokens needed for p < 1e-6 (step 10); null = more than the generated length. */
  readonly tokensFor99: { value: number | null; display: string; unresolved: number }
  /** Mean unique tuples scored in the full clean continuation. */
  readonly meanScored: number
  readonly quality: {
    /** Per-step entropy (nats) of the host's generating distribution (before the watermark) over the watermarked runs. */
    readonly entropy: EntropySummary
    readonly perplexity: number
    readonly plainPerplexity: number
    readonly ratio: number
    /**
     * 95 % interval of the ratio: exp(mean ± 1.96 sd / sqrt(n)) of the per-document
     * differences in mean negative log-likelihood (watermarked − unwatermarked, same prompt and seed).
     */
    readonly ratioCi95: [number, number]
    /** Mean per-step KL(p_wm || p) in nats; null for distortion-free schemes (see note). */
    readonly kl: number | null
    readonly klSteps: number
    readonly klNote: string
  }
  readonly fpr: {
    readonly keyId: string
    readonly pieces: number
    readonly tokens: number
    readonly rows: FprRow[]
    /** The same pieces under further keys: how much a one-key false-positive rate depends on the key. */
    readonly keySpread: KeySpreadRow[]
  }
  readonly throughput: { readonly watermarkedTokensPerSecond: number; readonly plainTokensPerSecond: number; readonly slowdown: number }
  /** Start of the first document's continuation, for a look at the text. */
  readonly sample: string
}

export interface SummaryRow {
  readonly label: string
  readonly cleanTpr200: number
  readonly substitutionTpr200: number | null
  readonly copyPasteTpr200: number | null
  readonly meanAttackTpr200: number | null
  readonly tokensFor99: string
  readonly perplexityRatio: number
  readonly kl: number | null
  readonly fpr1e3: number
  readonly fpr1e3Verdict: string
  /** Key dispersion of the false-positive count at 1e-2 (see KeySpreadRow); null if not measured. */
  readonly fprDispersion: number | null
}

export interface EvalReport {
  readonly version: 1
  readonly mode: 'quick' | 'full'
  readonly createdAt: string
  readonly seed: number
  readonly runtimeSeconds: number
  readonly machine: { readonly cpus: number; readonly node: string; readonly workers: number }
  readonly settings: {
    readonly docsRequested: number
    readonly docs: number
    /** True when the time budget stopped the run before docsRequested documents. */
    readonly stoppedByBudget: boolean
    readonly budgetSeconds: number
    readonly tokens: number
    readonly promptTokens: number
    readonly lengths: number[]
    readonly temperature: number
    readonly topP: number
    readonly topK: 0
    /** Name of the entropy point (`t1`, `calibrated`, `low`, or `custom`). */
    readonly point: string
    readonly emojiEvery: number
    readonly emojiDocs: number
    readonly klDocs: number
    readonly klSteps: number
    readonly fprPieceTokens: number
    readonly fprExtraKeys: number
    readonly attacks: string[]
  }
  /** The prefix length the summary and the defaults rule use (200, or the longest below it). */
  readonly summaryLength: number
  readonly plain: { readonly perplexity: number; readonly entropy: EntropySummary; readonly tokensPerSecond: number; readonly sample: string }
  readonly configs: ConfigReport[]
  readonly summary: SummaryRow[]
  readonly defaults: {
    readonly rule: string
    readonly chosen: string | null
    readonly reasoning: string[]
    readonly ranking: { label: string; eligible: boolean; score: number | null; perplexityRatio: number }[]
  }
  readonly notes: string[]
}
