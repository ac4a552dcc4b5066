/** Turns per-document job results into the report's per-configuration tables. */
// The detector's package entry exports only detect() and the tokenizer; its exact
// Clopper–Pearson interval lives in its (internal) statistics module.
import { clopperPearson } from '../../../detector/src/stats/intervals.js'
import { entropySummary, type EntropySummary } from '../entropy.js'
import { conditionTitle, type AttackCondition } from './attack-plan.js'
import { contextWidthOf, specOf, type EvalConfig } from './configs.js'
import type { EmojiResult, FprResult, GenResult, PlainResult } from './jobs.js'
import { FPR_ALPHAS, POWER_ALPHAS, type ConfigReport, type FprRow, type KeySpreadRow, type PowerAlpha, type PowerRow } from './report.js'

export interface Collected {
  readonly gen: Map<string, GenResult[]>
  readonly emoji: Map<string, EmojiResult[]>
  readonly fpr: Map<string, FprResult>
  readonly plain: PlainResult[]
}

export function emptyCollected(): Collected {
  return { gen: new Map(), emoji: new Map(), fpr: new Map(), plain: [] }
}

const byDoc = <T extends { doc: number }>(xs: readonly T[]) => xs.slice().sort((a, b) => a.doc - b.doc)

/** Fraction of values (log10 p) below log10(alpha). */
export function tpr(values: readonly number[], alpha: number): number {
  if (values.length === 0) return NaN
  const lim = Math.log10(alpha)
  let k = 0
  for (const v of values) if (v < lim) k++
  return k / values.length
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN
  const s = values.slice().sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

/** Power row from per-document log10 p vectors (one entry per length). */
export function powerRow(id: string, title: string, attack: string, strength: number, normalized: boolean, perDoc: readonly number[][], lengths: readonly number[]): PowerRow {
  const col = (li: number) => perDoc.map((v) => v[li])
  const tprs = {} as Record<PowerAlpha, number[]>
  for (const a of POWER_ALPHAS) tprs[a] = lengths.map((_, li) => tpr(col(li), Number(a)))
  return { id, title, attack, strength, normalized, n: perDoc.length, tpr: tprs, medianLog10P: lengths.map((_, li) => median(col(li))) }
}

/** The q-quantile (nearest rank) of tokens-needed values, null (= never) counting as infinite. */
export function quantileNeeded(values: readonly (number | null)[], q: number): number | null {
  if (values.length === 0) return null
  const s = values.map((v) => v ?? Infinity).sort((a, b) => a - b)
  const v = s[Math.max(0, Math.ceil(q * s.length) - 1)]
  return Number.isFinite(v) ? v : null
}

/** Empirical false-positive rows with Clopper–Pearson 95 % intervals. */
export function fprRows(log10p: readonly number[]): FprRow[] {
  const n = log10p.length
  return FPR_ALPHAS.map((a) => {
    const alpha = Number(a)
    const count = log10p.filter((v) => v < Math.log10(alpha)).length
    const ci = n > 0 ? clopperPearson(count, n, 0.95) : { lower: 0, upper: 1 }
    const verdict: FprRow['verdict'] = ci.lower > alpha ? 'ABOVE alpha' : ci.upper < alpha ? 'below alpha' : 'contains alpha'
    return { alpha: a, count, rate: n > 0 ? count / n : NaN, ci95: [ci.lower, ci.upper], verdict }
  })
}

/** Per-key spread of the false-positive counts over the further keys. */
export function keySpreadRows(extraCounts: readonly number[][], pieces: number): KeySpreadRow[] {
  if (extraCounts.length === 0 || pieces === 0) return []
  return FPR_ALPHAS.map((a, ai) => {
    const alpha = Number(a)
    const counts = extraCounts.map((c) => c[ai])
    const sorted = counts.slice().sort((x, y) => x - y)
    const total = counts.reduce((x, y) => x + y, 0)
    const trials = pieces * counts.length
    const ci = clopperPearson(total, trials, 0.95)
    const mean = total / counts.length
    const variance = counts.length > 1 ? counts.reduce((x, y) => x + (y - mean) ** 2, 0) / (counts.length - 1) : NaN
    return {
      alpha: a,
      counts,
      min: sorted[0],
      median: median(counts),
      max: sorted[sorted.length - 1],
      pooledRate: total / trials,
      pooledCi95: [ci.lower, ci.upper],
      dispersion: variance / (pieces * alpha * (1 - alpha)),
    }
  })
}

const perplexityOf = (lls: readonly { sum: number; count: number }[]) => {
  let s = 0
  let c = 0
  for (const x of lls) {
    s += x.sum
    c += x.count
  }
  return Math.exp(-s / c)
}

export function plainSummary(plain: readonly PlainResult[]): { perplexity: number; entropy: EntropySummary; tokensPerSecond: number; sample: string } {
  const ms = plain.reduce((a, p) => a + p.ms, 0)
  const tokens = plain.reduce((a, p) => a + p.tokens, 0)
  return {
    perplexity: perplexityOf(plain.map((p) => p.ll)),
    entropy: entropySummary(plain.flatMap((p) => p.entropy)),
    tokensPerSecond: (tokens / ms) * 1000,
    sample: plain.find((p) => p.text)?.text?.slice(0, 400) ?? '',
  }
}

const DISTORTION_FREE_NOTE =
  'distortion-free: the embed rule changes the next-token law for a given key, but averaged over keys it is exactly p, so E_key[p_wm] = p and the expected KL is 0 (the perplexity ratio is the measured cost)'

/** 95 % interval of the perplexity ratio from paired per-document mean NLL differences. */
export function perplexityRatioCi(gen: readonly GenResult[], plain: readonly PlainResult[]): [number, number] {
  const base = new Map(plain.map((p) => [p.doc, p.ll.sum / p.ll.count]))
  const d: number[] = []
  for (const g of gen) {
    const b = base.get(g.doc)
    if (b !== undefined) d.push(b - g.ll.sum / g.ll.count) // = nll_wm − nll_plain
  }
  if (d.length < 2) return [NaN, NaN]
  const mean = d.reduce((a, b) => a + b, 0) / d.length
  const sd = Math.sqrt(d.reduce((a, b) => a + (b - mean) ** 2, 0) / (d.length - 1))
  const half = (1.96 * sd) / Math.sqrt(d.length)
  return [Math.exp(mean - half), Math.exp(mean + half)]
}

/** The report section of one configuration. */
export function configReport(
  c: EvalConfig,
  col: Collected,
  conditions: readonly AttackCondition[],
  lengths: readonly number[],
  tokens: number,
): ConfigReport {
  const gen = byDoc(col.gen.get(c.label) ?? [])
  const docs = new Set(gen.map((g) => g.doc))
  const plain = col.plain.filter((p) => docs.has(p.doc))
  const power: PowerRow[] = [powerRow('none', conditionTitle(null), 'none', 0, true, gen.map((g) => g.clean), lengths)]
  for (const cond of conditions) {
    const perDoc = cond.generation
      ? byDoc((col.emoji.get(c.label) ?? []).filter((e) => e.strength === cond.strength)).map((e) => e.log10p)
      : gen.map((g) => g.attacked[cond.id])
    power.push(powerRow(cond.id, conditionTitle(cond), cond.attack, cond.strength, cond.normalize, perDoc, lengths))
  }
  const needed = gen.map((g) => g.needed)
  const q99 = quantileNeeded(needed, 0.99)
  const klRuns = gen.map((g) => g.kl).filter((k): k is NonNullable<typeof k> => k !== null)
  const klSteps = klRuns.reduce((a, k) => a + k.steps, 0)
  const scheme = c.input.scheme
  const greenList = scheme === 'kgw' || scheme === 'unigram'
  const fpr = col.fpr.get(c.label)
  const wmMs = gen.reduce((a, g) => a + g.ms, 0)
  const wmTokens = gen.reduce((a, g) => a + g.tokens, 0)
  const pl = plainSummary(plain)
  const ppl = perplexityOf(gen.map((g) => g.ll))
  const wmTps = (wmTokens / wmMs) * 1000
  return {
    label: c.label,
    description: c.description,
    spec: specOf(c),
    h: contextWidthOf(c),
    docs: gen.length,
    power,
    tokensFor99: { value: q99, display: q99 === null ? `>${tokens}` : String(q99), unresolved: needed.filter((v) => v === null).length },
    meanScored: gen.reduce((a, g) => a + g.scored, 0) / Math.max(1, gen.length),
    quality: {
      entropy: entropySummary(gen.flatMap((g) => g.entropy)),
      perplexity: ppl,
      plainPerplexity: pl.perplexity,
      ratio: ppl / pl.perplexity,
      ratioCi95: perplexityRatioCi(gen, plain),
      kl: greenList && klSteps > 0 ? klRuns.reduce((a, k) => a + k.sum, 0) / klSteps : null,
      klSteps,
      klNote: greenList
        ? `exact KL(p_wm || p) per step, mean over the first steps of ${klRuns.length} documents (${klSteps} steps, ${klRuns.reduce((a, k) => a + k.biased, 0)} of them biased; a window already used is not biased again)`
        : DISTORTION_FREE_NOTE,
    },
    fpr: fpr
      ? { keyId: fpr.keyId, pieces: fpr.log10p.length, tokens: fpr.tokens, rows: fprRows(fpr.log10p), keySpread: keySpreadRows(fpr.extraCounts, fpr.log10p.length) }
      : { keyId: '', pieces: 0, tokens: 0, rows: [], keySpread: [] },
    throughput: { watermarkedTokensPerSecond: wmTps, plainTokensPerSecond: pl.tokensPerSecond, slowdown: pl.tokensPerSecond / wmTps },
    sample: gen.find((g) => g.text)?.text?.slice(0, 400) ?? '',
  }
}
