/**
 * `lab eval-race`: the race fingerprint's attribution rates with real denominators and
 * its false-attribution trials at one entropy point. Writes race-<point>.json and
 * race-<point>.md to the output folder.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ENTROPY_POINTS, type EntropyPoint } from '../eval/points.js'
import { loadOrTrainDefaultModel } from '../model/default.js'
import { raceFalseAttribution, type FalseAttributionResult } from './false-attribution.js'
import { racePower, type PowerResult } from './power.js'
import type { RateInterval } from './wilson.js'

export interface RaceEvalOptions {
  point: EntropyPoint
  /** Watermarked answers (each with a fresh key and random account), default 200. */
  answers: number
  /** False-attribution trials on key-independent text under fresh keys. */
  nullTrials: number
  /** False-attribution trials on the answers under their own key. */
  ownTrials: number
  seed: number
  outDir: string
}

export interface RaceEvalReport {
  readonly point: EntropyPoint
  readonly seed: number
  readonly power: PowerResult
  readonly falseAttribution: FalseAttributionResult
}

const pct = (r: RateInterval) => `${(100 * r.rate).toFixed(1)}% (${(100 * r.low).toFixed(1)} – ${(100 * r.high).toFixed(1)})`

/** The command line that reproduces a report. */
export function raceEvalCommand(o: Omit<RaceEvalOptions, 'outDir'>): string {
  return `pnpm lab eval-race --point ${o.point} --answers ${o.answers} --null-trials ${o.nullTrials} --own-trials ${o.ownTrials} --seed ${o.seed}`
}

export function raceEvalMarkdown(r: RaceEvalReport, command: string): string {
  const { power: p, falseAttribution: fa } = r
  const s = p.sampling
  const e = p.entropy
  const md = [
    `## Race fingerprint at \`${r.point}\` (temperature ${s.temperature}${s.topP < 1 ? `, top-p ${s.topP}` : ''})`,
    '',
    `\`${command}\`: ${p.answers} answers of 400 tokens from the reference model (\`generate()\`: full vocabulary, unseen tokens masked, multinomial sampling at temperature ${s.temperature}), each with its own key, a uniformly random 32-bit account and its own held-out 12-token prompt. Entropy of the sampling distribution: mean ${e.mean.toFixed(2)} nats/step (p10 ${e.p10.toFixed(2)}, median ${e.p50.toFixed(2)}, p90 ${e.p90.toFixed(2)}). Rates with Wilson 95% intervals.`,
    '',
    '| attack | tokens | answers | exact match | attributed (2^32, p < 1e-6) | zero-bit detected | attributed, scan (quick votes) | detected, scan | wrong accounts named |',
    '|---|---|---|---|---|---|---|---|---|',
    ...p.cells.map((c) => `| ${c.attack} | ${c.tokens} | ${c.n} | ${pct(c.exact)} | ${pct(c.attributed)} | ${pct(c.detected)} | ${pct(c.attributedQuick)} | ${pct(c.detectedQuick)} | ${c.wrong} |`),
    '',
    `Perplexity under the unwatermarked model (temperature 1): watermarked ${p.perplexity.watermarked.toFixed(2)}, plain ${p.perplexity.plain.toFixed(2)} (same prompts and sampler seeds); ratio **${p.perplexity.ratio.toFixed(3)}** (95% interval ${p.perplexity.low.toFixed(3)} – ${p.perplexity.high.toFixed(3)}, paired by answer).`,
    '',
    '| false-attribution trials | text | wrong accounts named |',
    '|---|---|---|',
    `| ${fa.nullTrials} | key-independent (held-out human text and plain answers at this temperature), each under a fresh key | ${fa.nullWrong} |`,
    `| ${fa.ownTrials} | ${fa.ownAnswers} watermarked answers under their own key, as variants (200-token window, 0/10/20% substitution) | ${fa.ownWrong} |`,
    '',
    `Smallest p-value of a wrong candidate the decoder proposed: ${fa.minLog10P.toFixed(2)} (log10, uncorrected); after the 2^32 union bound ${fa.minLog10PCorrected.toFixed(2)}. Naming needs ${fa.threshold.toFixed(2)} uncorrected.`,
  ]
  return `${md.join('\n')}\n`
}

export function runRaceEval(o: RaceEvalOptions, log: (s: string) => void = console.log): RaceEvalReport {
  const sampling = ENTROPY_POINTS[o.point]
  const model = loadOrTrainDefaultModel()
  const label = `race-${o.point}`
  log(`race fingerprint at ${o.point} (temperature ${sampling.temperature}): ${o.answers} answers, ${o.nullTrials} + ${o.ownTrials} false-attribution trials`)
  const { result, texts } = racePower(model, sampling, o.answers, o.seed, label, log)
  mkdirSync(o.outDir, { recursive: true })
  // The rates first: the false-attribution trials take longer.
  writeFileSync(join(o.outDir, `race-${o.point}.power.json`), `${JSON.stringify({ point: o.point, seed: o.seed, power: result }, null, 2)}\n`)
  // Counts so far, every 2,500 trials: a run stopped early still reports what it did.
  const partial = (fa: FalseAttributionResult) => writeFileSync(join(o.outDir, `race-${o.point}.trials-partial.json`), `${JSON.stringify(fa, null, 2)}\n`)
  const falseAttribution = raceFalseAttribution(texts, o.nullTrials, o.ownTrials, o.seed, label, log, partial)
  const report: RaceEvalReport = { point: o.point, seed: o.seed, power: result, falseAttribution }
  writeFileSync(join(o.outDir, `race-${o.point}.json`), `${JSON.stringify(report, null, 2)}\n`)
  const md = raceEvalMarkdown(report, raceEvalCommand(o))
  writeFileSync(join(o.outDir, `race-${o.point}.md`), md)
  log(md)
  return report
}
