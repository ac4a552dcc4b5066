/**
 * The cross-configuration summary and the rule that picks the project's default
 * configuration from it. The rule is stated in the report next to its outcome.
 */
import type { ConfigReport, EvalReport, SummaryRow } from './report.js'

export const MAX_PERPLEXITY_RATIO = 1.15
/** Mean attacked TPR difference treated as a tie when preferring a longer context. */
export const NEAR_TIE = 0.05

export const DEFAULTS_RULE =
  `Among the configurations whose perplexity ratio (watermarked / unwatermarked, same prompts and sampler seeds) is <= ${MAX_PERPLEXITY_RATIO}, ` +
  'choose the one with the highest TPR at FPR 1e-6 at the summary length (200 generated tokens), averaged over every attack × strength row ' +
  '(normalization-off diagnostic rows excluded, the emoji rows included). Ties go to the higher clean TPR, then the fewer tokens needed for 99 % TPR, ' +
  'then the lower perplexity ratio. Finally, among the eligible configurations of the same scheme whose mean attacked TPR is within ' +
  `${NEAR_TIE} of that choice, the one with the largest context width h wins: a longer window makes the key harder to learn from ` +
  'watermarked output (watermark stealing, Jovanovic et al. 2024), a cost this evaluation does not measure.'

/** Index of the summary length: 200 if measured, else the longest length below it (else the shortest). */
export function summaryLengthIndex(lengths: readonly number[]): number {
  const exact = lengths.indexOf(200)
  if (exact >= 0) return exact
  let best = 0
  lengths.forEach((L, i) => {
    if (L <= 200 && L > lengths[best]) best = i
  })
  return best
}

const at = (c: ConfigReport, id: string, li: number): number | null => {
  const row = c.power.find((r) => r.id === id)
  return row && row.n > 0 ? row.tpr['1e-6'][li] : null
}

/** Mean TPR@1e-6 over the attack rows (diagnostic rows excluded) at length index li. */
export function meanAttackTpr(c: ConfigReport, li: number): number | null {
  const xs = c.power.filter((r) => r.attack !== 'none' && r.normalized && r.n > 0).map((r) => r.tpr['1e-6'][li])
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length
}

export function summaryRows(configs: readonly ConfigReport[], li: number): SummaryRow[] {
  return configs.map((c) => {
    const f = c.fpr.rows.find((r) => r.alpha === '1e-3')
    return {
      label: c.label,
      cleanTpr200: at(c, 'none', li) ?? NaN,
      substitutionTpr200: at(c, 'synonym@0.3', li),
      copyPasteTpr200: at(c, 'copyPaste@0.9', li),
      meanAttackTpr200: meanAttackTpr(c, li),
      tokensFor99: c.tokensFor99.display,
      perplexityRatio: c.quality.ratio,
      kl: c.quality.kl,
      fpr1e3: f?.rate ?? NaN,
      fpr1e3Verdict: f?.verdict ?? 'not measured',
      fprDispersion: c.fpr.keySpread[0]?.dispersion ?? null,
    }
  })
}

const fmt = (x: number | null, d = 3) => (x === null || Number.isNaN(x) ? 'n/a' : x.toFixed(d))

/** Applies DEFAULTS_RULE. */
export function chooseDefaults(configs: readonly ConfigReport[], summary: readonly SummaryRow[], lengthLabel: number): EvalReport['defaults'] {
  const ranking = summary.map((s) => ({
    label: s.label,
    eligible: s.perplexityRatio <= MAX_PERPLEXITY_RATIO,
    score: s.meanAttackTpr200,
    perplexityRatio: s.perplexityRatio,
  }))
  const key = (label: string) => {
    const s = summary.find((x) => x.label === label)!
    const c = configs.find((x) => x.label === label)!
    return [s.meanAttackTpr200 ?? -1, s.cleanTpr200, -(c.tokensFor99.value ?? Infinity), -s.perplexityRatio]
  }
  const better = (a: string, b: string) => {
    const ka = key(a)
    const kb = key(b)
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i] > kb[i]
    return false
  }
  const eligible = ranking.filter((r) => r.eligible).map((r) => r.label)
  let chosen: string | null = null
  for (const l of eligible) if (chosen === null || better(l, chosen)) chosen = l
  const widthOf = (label: string) => {
    const spec = configs.find((x) => x.label === label)!.spec as { scheme: string; h?: number }
    return { scheme: spec.scheme, h: spec.h ?? 0 }
  }
  const byRule = chosen
  if (chosen) {
    const top = summary.find((x) => x.label === chosen)!.meanAttackTpr200 ?? 0
    for (const l of eligible) {
      const s = summary.find((x) => x.label === l)!
      const w = widthOf(l), c = widthOf(chosen)
      if (w.scheme === c.scheme && w.h > c.h && (s.meanAttackTpr200 ?? -1) >= top - NEAR_TIE) chosen = l
    }
  }
  ranking.sort((a, b) => (a.eligible !== b.eligible ? (a.eligible ? -1 : 1) : better(a.label, b.label) ? -1 : better(b.label, a.label) ? 1 : 0))
  const reasoning: string[] = []
  const excluded = ranking.filter((r) => !r.eligible)
  if (excluded.length > 0) {
    reasoning.push(`Excluded by the quality bar (perplexity ratio > ${MAX_PERPLEXITY_RATIO}): ${excluded.map((r) => `${r.label} (${fmt(r.perplexityRatio)})`).join(', ')}.`)
  }
  if (chosen) {
    const s = summary.find((x) => x.label === chosen)!
    reasoning.push(
      `Chosen: ${chosen} — mean attacked TPR@1e-6 at ${lengthLabel} tokens ${fmt(s.meanAttackTpr200)}, clean ${fmt(s.cleanTpr200)}, ` +
        `tokens for 99 % TPR ${s.tokensFor99}, perplexity ratio ${fmt(s.perplexityRatio)}.`,
    )
    if (byRule !== chosen) {
      reasoning.push(`${byRule} ranks first on attacked TPR and ${chosen} is within ${NEAR_TIE} of it; ${chosen} has the longer context (h = ${widthOf(chosen).h} vs ${widthOf(byRule!).h}), so it is chosen.`)
    }
    const runnerUp = ranking.find((r) => r.eligible && r.label !== chosen)
    if (runnerUp) reasoning.push(`Runner-up: ${runnerUp.label} (mean attacked TPR ${fmt(runnerUp.score)}, perplexity ratio ${fmt(runnerUp.perplexityRatio)}).`)
    const base = summary.find((x) => x.label === 'kgw-ref')
    if (base && chosen !== 'kgw-ref') {
      reasoning.push(
        `Against the KGW reference baseline (kgw-ref): mean attacked TPR ${fmt(base.meanAttackTpr200)} vs ${fmt(s.meanAttackTpr200)}, ` +
          `perplexity ratio ${fmt(base.perplexityRatio)} vs ${fmt(s.perplexityRatio)}${base.perplexityRatio > MAX_PERPLEXITY_RATIO ? ' (the baseline fails the quality bar)' : ''}.`,
      )
    }
  } else {
    reasoning.push('No configuration meets the quality bar; no default is chosen by the rule.')
  }
  const dispersed = summary.filter((s) => s.fprDispersion !== null && s.fprDispersion > 3)
  if (dispersed.length > 0) {
    reasoning.push(
      `Not in the rule, but to weigh: the false-positive rate of ONE key on human text is strongly key-dependent (dispersion > 3) for ${dispersed.map((s) => `${s.label} (${fmt(s.fprDispersion, 1)})`).join(', ')}` +
        (chosen && dispersed.some((s) => s.label === chosen) ? ', the chosen configuration among them' : chosen ? `; the chosen ${chosen} is not (${fmt(summary.find((s) => s.label === chosen)!.fprDispersion, 1)})` : '') +
        '.',
    )
  }
  return { rule: DEFAULTS_RULE, chosen, reasoning, ranking }
}
