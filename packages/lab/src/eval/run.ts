/**
 * `runEval`: evaluates tracemark's schemes with the lab's reference model and writes the
 * tables that choose the project's defaults (docs/eval/eval.json and eval.md).
 *
 * Per configuration: watermarked generation from held-out prompts (one key per
 * document), detection power at several lengths with and without attacks, the tokens
 * needed for 99 % TPR at FPR 1e-6, quality (perplexity ratio, exact KL for green lists),
 * the empirical false-positive rate on held-out human text with one key, and throughput.
 *
 * The work is cut into jobs (jobs.ts) run on worker threads (pool.ts). Documents are
 * started in order, all configurations of a document together, until the requested
 * count or the time budget is reached: a budget-limited run measures the first N
 * documents of the full run, for every configuration alike, and says so in the report.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { evalOutDir } from './out-dir.js'
import { configReport, emptyCollected, plainSummary } from './aggregate.js'
import { ALL_ATTACKS, attackConditions } from './attack-plan.js'
import { selectConfigs } from './configs.js'
import { fprPieces, heldOut, humanTextFor, promptFor } from './data.js'
import { chooseDefaults, summaryLengthIndex, summaryRows } from './defaults.js'
import { EMOJI_TOKEN, TEMPERATURE_1, type Sampling } from './generation.js'
import type { Job, JobResult } from './jobs.js'
import { renderMarkdown } from './markdown.js'
import { createPool } from './pool.js'
import type { EvalReport } from './report.js'

export interface EvalOptions {
  /** Small run (~3 minutes): fewer documents, 50k tokens of human text for the FPR. */
  quick: boolean
  /** Where eval.json and eval.md go; default a scratch folder, `<repo>/.cache/eval/eval/{full,quick}` (the published tables: `docs/eval`, `docs/eval/quick`). */
  outDir?: string
  /** Run seed (keys, sampler, attacks). Default 1. */
  seed?: number
  /** Schemes (`kgw`) or configuration labels (`kgw-ref`) to evaluate; default all. */
  schemes?: string[]
  /** The host's sampling (temperature, top-p) for every generation; default temperature 1, no truncation. */
  sampling?: Sampling
  /** Name of the entropy point, for the report (default `t1` at temperature 1 without truncation, else `custom`). */
  point?: string
  // ---- for tests and experiments ----
  /** Prompts (documents) per configuration: default 200 full, 24 quick (fewer if the budget runs out). */
  docs?: number
  /** Generated tokens per document (default 400). */
  tokens?: number
  /** Attack registry names to run (default all). */
  attacks?: string[]
  /** Human tokens for the false-positive test (default all held-out, ~1.04 M; quick 50k). */
  fprTokens?: number
  /** Worker threads (default min(2, CPUs); 1 runs in-process). */
  workers?: number
  /**
   * Time budget in seconds for the whole run (default 1380 full, 160 quick): a new document
   * is started only if the time its jobs took so far says it will finish within the budget.
   */
  budgetSeconds?: number
  /** Run the emoji attack (two extra generations) on every k-th document (default 4). */
  emojiEvery?: number
  /** Documents and steps for the exact KL of green-list schemes (default 10 × 100; quick 4 × 100). */
  klDocs?: number
  klSteps?: number
  /** Further keys scored on the human pieces to show the key dependence of the one-key FPR (default 8). */
  fprExtraKeys?: number
}

const PROMPT_TOKENS = 12
const PIECE_TOKENS = 200
const LENGTHS = [50, 100, 200, 400]

/** Runs the evaluation, writes `eval.json` and `eval.md` to the output directory, and returns the report. */
export function runEval(options: EvalOptions, log: (line: string) => void): EvalReport {
  const t0 = Date.now()
  const elapsed = () => (Date.now() - t0) / 1000
  const quick = options.quick
  const seed = options.seed ?? 1
  const configs = selectConfigs(options.schemes)
  const docsRequested = options.docs ?? (quick ? 24 : 200)
  const tokens = options.tokens ?? 400
  const lengths = LENGTHS.filter((L) => L < tokens).concat(tokens)
  const attackNames = options.attacks ?? ALL_ATTACKS
  const conditions = attackConditions(attackNames)
  const emojiConditions = conditions.filter((c) => c.generation)
  const budget = options.budgetSeconds ?? (quick ? 160 : 1380)
  const emojiEvery = options.emojiEvery ?? 4
  const klDocs = options.klDocs ?? (quick ? 4 : 10)
  const klSteps = options.klSteps ?? 100
  const workers = Math.max(1, options.workers ?? Math.min(2, availableParallelism()))
  const sampling = options.sampling ?? TEMPERATURE_1
  const point = options.point ?? (sampling.temperature === 1 && sampling.topP === 1 ? 't1' : 'custom')
  const outDir = evalOutDir('eval', quick, options.outDir)

  log(`eval: ${quick ? 'quick' : 'full'} mode, ${configs.length} configurations (${configs.map((c) => c.label).join(', ')}), up to ${docsRequested} documents × ${tokens} tokens, ${conditions.length} attack conditions, temperature ${sampling.temperature}, top-p ${sampling.topP}, budget ${budget} s`)
  const held = heldOut()
  const fpr = fprPieces(held, PIECE_TOKENS, options.fprTokens ?? (quick ? 50_000 : Infinity))
  log(`eval: held-out split: ${held.docs.length} documents, ${held.tokens.reduce((a, t) => a + t.length, 0)} tokens; false-positive test on ${fpr.count} pieces of ${PIECE_TOKENS} tokens (${(elapsed()).toFixed(1)} s)`)

  const pool = createPool(workers, log)
  log(`eval: ${pool.size} worker(s) ready (${elapsed().toFixed(1)} s)`)
  const col = emptyCollected()
  const extraKeys = options.fprExtraKeys ?? 8
  const queue: Job[] = configs.map((config) => ({ kind: 'fpr', seed, config, ids: fpr.ids, count: fpr.count, pieceTokens: PIECE_TOKENS, extraKeys }))
  const outstanding = new Map<number, number>()
  let started = 0
  let stoppedByBudget = false
  let finished = 0

  // Mean wall time per job kind and configuration, to predict what one more document costs.
  const cost = new Map<string, { ms: number; n: number }>()
  const costKey = (j: Job) => `${j.kind}/${'config' in j ? j.config.label : ''}`
  const docJobs = (doc: number): Job[] => {
    const prompt = promptFor(held, doc, PROMPT_TOKENS)
    const jobs: Job[] = [{ kind: 'plain', seed, doc, prompt, tokens, sampling }]
    const humanText = humanTextFor(held, doc)
    for (const config of configs) {
      jobs.push({ kind: 'gen', seed, doc, prompt, tokens, sampling, config, lengths, conditions, humanText, klSteps: doc < klDocs ? klSteps : 0, keepText: doc === 0 })
      if (doc % emojiEvery === 0) for (const e of emojiConditions) jobs.push({ kind: 'emoji', seed, doc, prompt, tokens, sampling, config, strength: e.strength, lengths })
    }
    return jobs
  }
  /** Predicted wall seconds for these jobs on the pool (unknown kinds count as the costliest known one). */
  const predict = (jobs: Job[]): number => {
    const known = [...cost.values()].map((c) => c.ms / c.n)
    if (known.length === 0) return 0
    const worst = Math.max(...known)
    let ms = 0
    for (const j of jobs) {
      const c = cost.get(costKey(j))
      ms += c ? c.ms / c.n : worst
    }
    // + the tail: a job of the previous document may still be running on another worker.
    return (ms + worst) / 1000 / pool.size
  }
  const next = (): Job | undefined => {
    if (queue.length === 0 && started < docsRequested && !stoppedByBudget) {
      const jobs = docJobs(started)
      const eta = elapsed() + predict(jobs)
      if (started > 0 && eta > budget) {
        log(`eval: time budget: document ${started} would end at ~${eta.toFixed(0)} s > ${budget} s; stopping at ${started} documents`)
        stoppedByBudget = true
      } else {
        outstanding.set(started++, jobs.length)
        queue.push(...jobs)
      }
    }
    return queue.shift()
  }
  const onResult = (r: JobResult, job: Job) => {
    if (r.jobMs !== undefined) {
      const c = cost.get(costKey(job)) ?? { ms: 0, n: 0 }
      cost.set(costKey(job), { ms: c.ms + r.jobMs, n: c.n + 1 })
    }
    switch (r.kind) {
      case 'fpr':
        col.fpr.set(r.label, r)
        log(
          `eval: false positives ${r.label}: ${r.log10p.filter((v) => v < -2).length}/${r.log10p.length} pieces with p < 1e-2 under the investigator key` +
            (r.extraCounts.length > 0 ? `, ${r.extraCounts.map((c) => c[0]).join(' ')} under ${r.extraCounts.length} further keys` : '') +
            ` (${elapsed().toFixed(1)} s)`,
        )
        return
      case 'plain':
        col.plain.push(r)
        break
      case 'gen':
        if (!col.gen.has(r.label)) col.gen.set(r.label, [])
        col.gen.get(r.label)!.push(r)
        break
      case 'emoji':
        if (!col.emoji.has(r.label)) col.emoji.set(r.label, [])
        col.emoji.get(r.label)!.push(r)
        break
    }
    const left = outstanding.get(r.doc)! - 1
    outstanding.set(r.doc, left)
    if (left === 0) {
      finished++
      const rate = elapsed() / finished
      log(`eval: document ${r.doc} done: ${finished}/${docsRequested} documents, ${elapsed().toFixed(0)} s elapsed (${rate.toFixed(1)} s/document)`)
    }
  }
  try {
    pool.run(next, onResult)
  } finally {
    pool.close()
  }

  const li = summaryLengthIndex(lengths)
  const configReports = configs.map((c) => configReport(c, col, conditions, lengths, tokens))
  const summary = summaryRows(configReports, li)
  const emojiDocs = emojiConditions.length > 0 ? Math.ceil(started / emojiEvery) : 0
  const notes = [
    `Keys: one per (configuration, document), secret = SHA-256 of the run seed, the configuration label and the document index (keys.ts); the false-positive test uses one further key per configuration.`,
    `Generation masks <|endoftext|> and every special token (ids >= 100257), as generate(..., { stopAtEnd: false }) does, so every continuation has exactly ${tokens} tokens, and every token the model never saw in training (no junk tokens from the uniform back-off); unwatermarked continuations use the same prompts and sampler seeds.`,
    `Entropy is that of the distribution the host draws from at each step (masks, temperature ${sampling.temperature}, top-p ${sampling.topP}; before the watermark); perplexity is that of the output under the unwatermarked model (masked, temperature 1).`,
    `Emoji attack: our own copy of generate()'s loop; after each generated token, with probability = strength, the host appends the one-token emoji " 🙂" (id ${EMOJI_TOKEN}) to the context, which both the model and the watermark session (session.accept) see; the emojis are removed from the token list before decoding. Run on every document whose index is a multiple of ${emojiEvery}, to save time.`,
    `Copy-paste: the watermarked prefix's text is pasted into other held-out documents' text with the stated human share of words (attack library's copyPasteIntoHuman).`,
    `False positives: held-out human text is tokenized once and cut into ${PIECE_TOKENS}-token pieces, which are scored as token ids, under one investigator key per configuration (the table the rate is judged on) and under ${extraKeys} further keys (key dependence).`,
    `TPR at FPR alpha = fraction of watermarked documents whose exact p-value is below alpha; the exact p-values give FPR <= alpha by construction, which the empirical table checks.`,
    `Throughput is measured per worker thread while ${pool.size} worker(s) ran concurrently on a shared machine: compare the ratios, not the absolute figures.`,
  ]
  if (stoppedByBudget) notes.unshift(`The time budget (${budget} s) stopped the run after ${started} of ${docsRequested} requested documents; every configuration was measured on the same first ${started} documents.`)
  const report: EvalReport = {
    version: 1,
    mode: quick ? 'quick' : 'full',
    createdAt: new Date().toISOString(),
    seed,
    runtimeSeconds: elapsed(),
    machine: { cpus: availableParallelism(), node: process.version, workers: pool.size },
    settings: {
      docsRequested,
      docs: started,
      stoppedByBudget,
      budgetSeconds: budget,
      tokens,
      promptTokens: PROMPT_TOKENS,
      lengths,
      temperature: sampling.temperature,
      topP: sampling.topP,
      topK: 0,
      point,
      emojiEvery,
      emojiDocs,
      klDocs: Math.min(klDocs, started),
      klSteps,
      fprPieceTokens: PIECE_TOKENS,
      fprExtraKeys: extraKeys,
      attacks: attackNames.slice(),
    },
    summaryLength: lengths[li],
    plain: plainSummary(col.plain),
    configs: configReports,
    summary,
    defaults: chooseDefaults(configReports, summary, lengths[li]),
    notes,
  }
  mkdirSync(outDir, { recursive: true })
  writeFileSync(join(outDir, 'eval.json'), JSON.stringify(report, null, 2) + '\n')
  writeFileSync(join(outDir, 'eval.md'), renderMarkdown(report))
  log(`eval: done in ${elapsed().toFixed(0)} s; wrote ${join(outDir, 'eval.json')} and eval.md; default: ${report.defaults.chosen ?? 'none'}`)
  return report
}
