import { readFileSync } from 'node:fs'
import { Command, InvalidArgumentError } from 'commander'
import { readKeyFile, readPrompts } from '@tracemark/detector'
import { distill } from '../distill/distill.js'
import { runEval } from '../eval/run.js'
import { loadModel, saveModel } from '../model/io.js'
import { serve } from '../serve/server.js'
import { runFingerprintEval } from '../fingerprint-eval/index.js'
import { runRadioactivityEval } from '../radioactivity-eval/index.js'
import { generate } from '../generate.js'
import { loadOrTrainDefaultModel, repoRoot } from '../model/default.js'
import { ENTROPY_POINTS, type EntropyPoint } from '../eval/points.js'
import { join } from 'node:path'
import { newStepStats, summarizeSteps } from '../entropy.js'
import { entropyLine } from '../eval/markdown.js'
import { calibrationRow } from '../eval/calibrate.js'
import { DIVERSITY_CONFIGS, diversityRow } from '../eval/diversity.js'

export interface Io {
  out: (s: string) => void
  err: (s: string) => void
}

const int = (name: string) => (v: string) => {
  const x = Number(v)
  if (!Number.isInteger(x) || x < 0) throw new InvalidArgumentError(`${name} must be a non-negative integer`)
  return x
}
const real = (name: string, lo: number, hi: number) => (v: string) => {
  const x = Number(v)
  if (!(x >= lo && x <= hi)) throw new InvalidArgumentError(`${name} must be a number in [${lo}, ${hi}]`)
  return x
}


/** The `tracemark-lab` command line; returns the exit status (0 ok, 2 usage or input error). */
export async function run(argv: string[], io: Io): Promise<number> {
  const program = new Command('tracemark-lab')
    .description('tracemark lab: reference language model, watermarked generation, evaluation')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError()

  program
    .command('generate')
    .description('continue a prompt with the reference model, watermarked with a key; prints the continuation only')
    .option('--key <file>', 'key file (required unless --no-watermark)')
    .requiredOption('--prompt <text>', 'prompt text')
    .option('--max-tokens <n>', 'tokens to generate', int('--max-tokens'), 200)
    .option('--seed <s>', 'sampler seed: same seed, same output', int('--seed'), 0)
    .option('--temperature <t>', 'softmax temperature (0 = greedy)', real('--temperature', 0, 100), 1)
    .option('--top-k <k>', 'keep the k most likely tokens (0 = all)', int('--top-k'), 0)
    .option('--top-p <p>', 'nucleus sampling mass', real('--top-p', 1e-9, 1), 1)
    .option('--payload <account>', 'account number to embed (keys with a fingerprint)', int('--payload'))
    .option('--no-watermark', 'sample without the watermark')
    .option('--keep-unseen', 'do not mask tokens the model never saw in training (junk tokens from the uniform back-off)')
    .action((o) => {
      if (o.watermark && !o.key) throw new Error('--key is required (or pass --no-watermark)')
      const key = o.watermark ? readKeyFile(o.key) : undefined
      const model = loadOrTrainDefaultModel({ log: (m) => io.err(`${m}\n`) })
      const stats = newStepStats()
      const g = generate(model, {
        stats,
        maskUnseen: !o.keepUnseen,
        key,
        watermark: o.watermark,
        prompt: o.prompt,
        maxTokens: o.maxTokens,
        seed: o.seed,
        temperature: o.temperature,
        topK: o.topK,
        topP: o.topP,
        payload: o.payload,
      })
      io.out(`${g.text}\n`)
      const sum = summarizeSteps(stats)
      io.err(`${g.ids.length} tokens; entropy of the generating distribution ${entropyLine(sum.entropy)}; perplexity under the unwatermarked model ${sum.perplexity.toFixed(2)}\n`)
    })

  program
    .command('serve')
    .description('serve the reference model over an OpenAI-compatible HTTP API, watermarked, with each API key fingerprinted as its account')
    .option('--model <dir>', 'a saved model directory (default: the cached reference model)', 'default')
    .option('--key <file>', 'watermark key file (required unless --no-watermark)')
    .requiredOption('--accounts <file>', 'JSON object mapping API keys to account numbers, e.g. {"sk-alice": 1001}')
    .option('--port <p>', 'port (0 = any free port)', int('--port'), 8000)
    .option('--host <h>', 'address to bind (loopback by default)', '127.0.0.1')
    .option('--no-watermark', 'serve without the watermark (e.g. a suspect student model)')
    .option('--top-k <k>', 'top_k for requests that send none (0 = full vocabulary)', int('--top-k'), 0)
    .action(async (o) => {
      if (o.watermark && !o.key) throw new Error('--key is required (or pass --no-watermark)')
      let accounts: Record<string, number>
      try {
        accounts = JSON.parse(readFileSync(o.accounts, 'utf8'))
      } catch (e) {
        throw new Error(`${o.accounts}: not a readable JSON object of api key -> account (${(e as Error).message.split('\n')[0]})`)
      }
      const model = o.model === 'default' ? loadOrTrainDefaultModel({ log: (m) => io.err(`${m}\n`) }) : loadModel(o.model)
      const server = await serve({ model, key: o.watermark ? readKeyFile(o.key) : undefined, watermark: o.watermark, accounts, port: o.port, host: o.host, topK: o.topK || undefined })
      io.err(`serving on ${server.url} (${Object.keys(accounts).length} api keys${o.watermark ? ', watermarked' : ', no watermark'})\n`)
      await new Promise<void>((resolve) => {
        const stop = () => void server.close().then(resolve)
        process.once('SIGINT', stop)
        process.once('SIGTERM', stop)
      })
    })

  program
    .command('distill')
    .description('act as a distiller: buy answers from an endpoint, mix them with human text, train a student n-gram model on the mix')
    .requiredOption('--endpoint <url>', 'OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000')
    .option('--api-key <k>', 'API key of the distilling account (or set TRACEMARK_LAB_API_KEY)')
    .requiredOption('--prompts <file>', 'prompts, one per line (.jsonl: {"prompt": ...} per line), sent in turn until the budget is spent')
    .requiredOption('--out <dir>', 'where to save the student (serve it with: serve --model DIR --no-watermark)')
    .option('--budget <n>', 'answer tokens to buy', int('--budget'), 50_000)
    .option('--max-tokens <n>', 'tokens per answer', int('--max-tokens'), 200)
    .option('--fraction <f>', "share of the student's training tokens that are answers; the rest is the lab corpus's held-out human text", real('--fraction', 0, 1), 0.05)
    .option('--order <n>', 'student n-gram order', int('--order'), 4)
    .option('--chat', 'use /v1/chat/completions')
    .option('--concurrency <n>', 'requests in flight', int('--concurrency'), 4)
    .action(async (o) => {
      const d = await distill({
        endpoint: o.endpoint,
        apiKey: o.apiKey ?? process.env.TRACEMARK_LAB_API_KEY,
        prompts: readPrompts(o.prompts),
        budget: o.budget,
        maxTokens: o.maxTokens,
        fraction: o.fraction,
        order: o.order,
        chat: !!o.chat,
        concurrency: o.concurrency,
        onProgress: process.stderr.isTTY ? (p) => io.err(`\r${p.answers} answers, ${p.tokens} tokens   `) : undefined,
      })
      if (process.stderr.isTTY) io.err('\r\x1b[K')
      const path = saveModel(d.student, o.out)
      io.out(
        `student saved to ${path}: ${d.answers.length} answers to ${d.prompts} prompts (${d.mix.answerTokens} tokens) + ${d.mix.humanTokens} human tokens = ${(100 * d.mix.fraction).toFixed(2)}% answers, order ${d.student.order}\n`,
      )
    })

  program
    .command('eval')
    .description('evaluate every scheme (TPR at FPR, attacks, quality, human false positives); writes docs/eval/')
    .option('--quick', 'CI-sized run (writes docs/eval/quick/)')
    .option('--out <dir>', 'output directory')
    .option('--seed <s>', 'evaluation seed', int('--seed'), 1)
    .option('--temperature <t>', 'sampling temperature of every generation (default 1)', real('--temperature', 1e-6, 100))
    .option('--top-p <p>', 'nucleus sampling mass of every generation (default 1: no truncation)', real('--top-p', 1e-9, 1))
    .option('--budget <s>', 'time budget in seconds (default 1380, quick 160)', int('--budget'))
    .option('--docs <n>', 'prompts per configuration (default 200, quick 24)', int('--docs'))
    .option('--point <name>', `a named entropy point (${Object.keys(ENTROPY_POINTS).join(', ')}; see docs/eval/calibration.md); writes to docs/eval/<name>/ (quick: docs/eval/quick/<name>/) unless --out`)
    .action((o) => {
      if (o.point !== undefined && !(o.point in ENTROPY_POINTS)) throw new Error(`--point must be one of ${Object.keys(ENTROPY_POINTS).join(', ')}, got "${o.point}"`)
      if (o.point !== undefined && (o.temperature !== undefined || o.topP !== undefined)) throw new Error('--point sets the temperature and top-p: do not pass them too')
      const custom = o.temperature !== undefined || o.topP !== undefined
      const sampling = o.point ? ENTROPY_POINTS[o.point as EntropyPoint] : custom ? { temperature: o.temperature ?? 1, topP: o.topP ?? 1 } : undefined
      const outDir = o.out ?? (o.point ? join(repoRoot(), 'docs', 'eval', ...(o.quick ? ['quick'] : []), o.point) : undefined)
      runEval({ quick: !!o.quick, outDir, seed: o.seed, sampling, point: o.point, budgetSeconds: o.budget, docs: o.docs }, (line) => io.err(`${line}\n`))
    })

  program
    .command('calibrate')
    .description('sweep the temperature: KGW as in Kirchenbauer et al. 2023 Table 2 (gamma 0.25, delta 2, LeftHash h=1, 200 tokens): z-scores, TPR at z=4, entropy, perplexity; one JSON line per temperature on stdout')
    .option('--temperatures <list>', 'comma-separated temperatures', '1,0.8,0.7,0.6,0.5')
    .option('--docs <n>', 'prompts per temperature', int('--docs'), 60)
    .action((o) => {
      const temps = String(o.temperatures).split(',').map((t) => real('--temperatures', 1e-6, 100)(t.trim()))
      for (const t of temps) {
        const row = calibrationRow(t, o.docs)
        io.out(`${JSON.stringify(row)}\n`)
        io.err(`T=${t}: entropy ${entropyLine(row.entropy)}, perplexity ${row.perplexity.toFixed(2)}, z ${row.meanZ.toFixed(2)} ± ${row.sdZ.toFixed(2)}, TPR@z4 ${row.tprZ4.toFixed(3)} (fitted ${row.fittedTprZ4.toFixed(4)}), median tokens for p<0.02 ${row.medianTokensP002 ?? '>200'}\n`)
      }
    })

  program
    .command('diversity')
    .description('regenerate each prompt with different sampler seeds under one key: distinct answers, distinct-2, self-similarity, detection; one JSON line per configuration on stdout')
    .option('--configs <list>', `comma-separated labels (${DIVERSITY_CONFIGS.map((c) => c.label).join(', ')})`, DIVERSITY_CONFIGS.map((c) => c.label).join(','))
    .option('--temperature <t>', 'sampling temperature', real('--temperature', 1e-6, 100), 1)
    .option('--top-p <p>', 'nucleus mass', real('--top-p', 1e-9, 1), 1)
    .option('--prompts <n>', 'prompts', int('--prompts'), 50)
    .option('--regenerations <n>', 'answers per prompt', int('--regenerations'), 10)
    .option('--tokens <n>', 'tokens per answer', int('--tokens'), 64)
    .action((o) => {
      const labels = String(o.configs).split(',').map((x) => x.trim())
      const unknown = labels.filter((l) => !DIVERSITY_CONFIGS.some((c) => c.label === l))
      if (unknown.length > 0) throw new Error(`--configs: unknown configuration(s) ${unknown.join(', ')}`)
      for (const l of labels) {
        const row = diversityRow(DIVERSITY_CONFIGS.find((c) => c.label === l)!, { temperature: o.temperature, topP: o.topP }, o.prompts, o.regenerations, o.tokens)
        io.out(`${JSON.stringify(row)}\n`)
      }
    })

  program
    .command('eval-fingerprint')
    .description('fingerprint exact-match/attribution rates, collusion, false attribution (writes docs/fingerprint/)')
    .option('--quick', 'CI-sized run')
    .option('--out <dir>', 'output directory (default docs/fingerprint)')
    .action((o) => {
      runFingerprintEval({ quick: !!o.quick, outDir: o.out }, (line) => io.err(`${line}\n`))
    })

  program
    .command('eval-radioactivity')
    .description('radioactivity p-values vs the watermarked fraction of a student\'s training data and the queried tokens (writes docs/radioactivity/)')
    .option('--quick', 'CI-sized run (writes docs/radioactivity/quick/)')
    .option('--out <dir>', 'output directory')
    .action((o) => {
      runRadioactivityEval({ quick: !!o.quick, outDir: o.out }, (line) => io.err(`${line}\n`))
    })

  try {
    await program.parseAsync(argv, { from: 'user' })
    return 0
  } catch (e) {
    const err = e as Error & { code?: string }
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0
    if (err.code?.startsWith('commander.')) return 2
    io.err(`tracemark-lab: ${err.message}\n`)
    return 2
  }
}
