import { Command, InvalidArgumentError } from 'commander'
import { createTaskProgress, interruptOnSignals, plural, printable, readKeyFile, readPrompts } from '@tracemark/detector'
import { integerOption, numberOption } from './options.js'
import { readAccountsFile } from '../serve/accounts.js'
import { distill } from '../distill/distill.js'
import { runEval } from '../eval/run.js'
import { loadModel, saveModel } from '../model/io.js'
import { serve } from '../serve/server.js'
import { openRuntimeBackend, RUNTIMES, type Runtime } from '../serve/open-backend.js'
import { runFingerprintEval } from '../fingerprint-eval/index.js'
import { runRaceEval } from '../fingerprint-eval/race-eval.js'
import { PROBES, runRadioactivityEval } from '../radioactivity-eval/index.js'
import { runWalkEval } from '../radioactivity-eval/walk.js'
import { generate } from '../generate.js'
import { loadOrTrainDefaultModel } from '../model/default.js'
import { evalOutDir } from '../eval/out-dir.js'
import { synthText } from '../tokenizer-eval/synth-text.js'
import { runSteal, STEAL_CONFIGS } from '../steal/run.js'
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

const SEED_MAX = 2 ** 32 - 1

const fractionList = (v: string) => {
  const xs = v.split(',').map(Number)
  if (!xs.every((x) => x >= 0 && x <= 1)) throw new InvalidArgumentError('--fractions must be numbers in [0, 1], comma-separated')
  return xs
}

/** The `tracemark-lab` command line; returns the exit status (0 ok, 2 usage or input error). */
export async function run(argv: string[], io: Io): Promise<number> {
  let status = 0
  const keyWarnings = { warn: (m: string) => io.err(`tracemark-lab: warning: ${m}\n`) }
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
    .option('--max-tokens <n>', 'tokens to generate (1..100000)', integerOption('--max-tokens', 1, 100_000), 200)
    .option('--seed <s>', 'sampler seed: same seed, same output', integerOption('--seed', 0, SEED_MAX), 0)
    .option('--temperature <t>', 'softmax temperature (0 = greedy)', numberOption('--temperature', 0, 100), 1)
    .option('--top-k <k>', 'keep the k most likely tokens (0 = all)', integerOption('--top-k', 0, 2 ** 31 - 1), 0)
    .option('--top-p <p>', 'nucleus sampling mass', numberOption('--top-p', 1e-9, 1), 1)
    .option('--payload <account>', 'account number to embed (keys with a fingerprint)', integerOption('--payload', 0, Number.MAX_SAFE_INTEGER))
    .option('--no-watermark', 'sample without the watermark')
    .option('--keep-unseen', 'do not mask tokens the model never saw in training (junk tokens from the uniform back-off)')
    .action((o) => {
      if (o.watermark && !o.key) throw new Error('--key is required (or pass --no-watermark)')
      const key = o.watermark ? readKeyFile(o.key, keyWarnings) : undefined
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
    .command('synth')
    .description("watermarked gibberish in a Hugging Face tokenizer.json's vocabulary from the synthetic model (a stand-in for a real model's answer)")
    .requiredOption('--key <file>', 'key file made with keygen --tokenizer PATH')
    .requiredOption('--tokenizer <path>', "the key's tokenizer.json")
    .option('--tokens <n>', 'tokens to generate', integerOption('--tokens', 1, 100_000), 200)
    .option('--seed <s>', 'model seed', integerOption('--seed', 0, SEED_MAX), 0)
    .option('--vocabulary <v>', 'words (whole-word pieces, like prose) | any (every non-special id)', 'words')
    .option('--payload <account>', 'account number to embed (keys with a fingerprint)', integerOption('--payload', 0, Number.MAX_SAFE_INTEGER))
    .action((o) => {
      if (!['words', 'any'].includes(o.vocabulary)) throw new Error('--vocabulary must be words or any')
      io.out(`${synthText(o)}\n`)
    })

  program
    .command('serve')
    .description('serve the reference model over an OpenAI-compatible HTTP API, watermarked, with each API key fingerprinted as its account')
    .option('--model <dir>', 'a saved n-gram model directory (default: the cached reference model), or the model for --runtime', 'default')
    .option('--runtime <name>', `model runtime: ngram (the reference model), ${RUNTIMES.join(' or ')} (--model DIR: a transformers.js folder with onnx/model.onnx, or a .gguf file or its folder)`, 'ngram')
    .option('--slots <n>', 'llama-cpp: concurrent requests', integerOption('--slots', 1, 64), 4)
    .option('--threads <n>', 'llama-cpp: CPU threads (0 = llama.cpp chooses)', integerOption('--threads', 0, 256), 0)
    .option('--key <file>', 'watermark key file (required unless --no-watermark)')
    .requiredOption('--accounts <file>', 'JSON object mapping API keys to account numbers, e.g. {"sk-alice": 1001}')
    .option('--port <p>', 'port (0 = any free port)', integerOption('--port', 0, 65_535), 8000)
    .option('--host <h>', 'address to bind (loopback by default)', '127.0.0.1')
    .option('--no-watermark', 'serve without the watermark (e.g. a suspect student model)')
    .option('--top-k <k>', 'top_k for requests that send none (0 = full vocabulary)', integerOption('--top-k', 0, 2 ** 31 - 1), 0)
    .action(async (o) => {
      if (o.watermark && !o.key) throw new Error('--key is required (or pass --no-watermark)')
      const accounts = readAccountsFile(o.accounts)
      const key = o.watermark ? readKeyFile(o.key, keyWarnings) : undefined
      const common = { key, watermark: o.watermark, accounts, port: o.port, host: o.host, topK: o.topK || undefined }
      let server: Awaited<ReturnType<typeof serve>>
      let closeRuntime = async () => {}
      if (o.runtime === 'ngram') {
        const model = o.model === 'default' ? loadOrTrainDefaultModel({ log: (m) => io.err(`${m}\n`) }) : loadModel(o.model)
        server = await serve({ model, ...common })
      } else {
        if (!RUNTIMES.includes(o.runtime)) throw new Error(`--runtime must be ngram, ${RUNTIMES.join(' or ')}`)
        if (o.model === 'default') throw new Error(`--runtime ${o.runtime} needs --model DIR`)
        const rt = await openRuntimeBackend(o.runtime as Runtime, o.model, { slots: o.slots || 1, threads: o.threads })
        closeRuntime = rt.close
        server = await serve({ backend: rt.backend, ...common }).catch(async (e) => {
          await rt.close()
          throw e
        })
      }
      io.err(`serving ${o.runtime === 'ngram' ? 'the n-gram model' : o.model} on ${server.url} (${plural(Object.keys(accounts).length, 'api key')}${o.watermark ? ', watermarked' : ', no watermark'})\n`)
      await new Promise<void>((resolve) => {
        const stop = () => void server.close().then(closeRuntime).then(resolve)
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
    .option('--budget <n>', 'answer tokens to buy (1..10000000)', integerOption('--budget', 1, 10_000_000), 50_000)
    .option('--max-tokens <n>', 'tokens per answer (1..32768)', integerOption('--max-tokens', 1, 32_768), 200)
    .option('--fraction <f>', "share of the student's training tokens that are answers; the rest is the lab corpus's held-out human text", numberOption('--fraction', 0, 1), 0.05)
    .option('--order <n>', 'student n-gram order (1..8)', integerOption('--order', 1, 8), 4)
    .option('--chat', 'use /v1/chat/completions')
    .option('--concurrency <n>', 'requests in flight (1..64)', integerOption('--concurrency', 1, 64), 4)
    .option('--timeout <seconds>', 'give up on a request with no complete answer after this long', numberOption('--timeout', 0.001, 3600), 120)
    .action(async (o) => {
      const progress = createTaskProgress(io, { total: o.budget, unit: 'tokens bought' })
      const interrupt = interruptOnSignals()
      let d: Awaited<ReturnType<typeof distill>>
      try {
        d = await distill({
          endpoint: o.endpoint,
          apiKey: o.apiKey ?? process.env.TRACEMARK_LAB_API_KEY,
          prompts: readPrompts(o.prompts),
          budget: o.budget,
          maxTokens: o.maxTokens,
          fraction: o.fraction,
          order: o.order,
          chat: !!o.chat,
          concurrency: o.concurrency,
          timeoutMs: o.timeout * 1000,
          signal: interrupt.signal,
          onProgress: (p) => progress.update(p.tokens, plural(p.answers, 'answer')),
        })
        if (await interrupt.interrupted()) throw new Error('interrupted while training')
      } catch (e) {
        progress.clear()
        const stopped = interrupt.exitStatus()
        if (stopped === undefined) throw e
        io.err(`tracemark-lab: distill stopped by ${interrupt.received()}; no student saved\n`)
        return void (status = stopped)
      } finally {
        progress.clear()
        interrupt.dispose()
      }
      const path = saveModel(d.student, o.out)
      io.out(
        `student saved to ${path}: ${plural(d.answers.length, 'answer')} to ${plural(d.prompts, 'prompt')} (${plural(d.mix.answerTokens, 'token')}) + ${plural(d.mix.humanTokens, 'human token')} = ${(100 * d.mix.fraction).toFixed(2)}% answers, order ${d.student.order}\n`,
      )
    })

  program
    .command('eval')
    .description('evaluate every scheme (TPR at FPR, attacks, quality, human false positives); ~25 min, --quick ~3 min')
    .option('--quick', 'CI-sized run')
    .option('--out <dir>', 'output directory (default .cache/eval/eval/full or /quick; the published tables: --out docs/eval, docs/eval/quick)')
    .option('--seed <s>', 'evaluation seed', integerOption('--seed', 0, SEED_MAX), 1)
    .option('--temperature <t>', 'sampling temperature of every generation (default 1)', numberOption('--temperature', 1e-6, 100))
    .option('--top-p <p>', 'nucleus sampling mass of every generation (default 1: no truncation)', numberOption('--top-p', 1e-9, 1))
    .option('--budget <s>', 'time budget in seconds (default 1380, quick 160)', integerOption('--budget', 1, 10_000_000))
    .option('--docs <n>', 'prompts per configuration (default 200, quick 24)', integerOption('--docs', 1, 10_000_000))
    .option('--point <name>', `a named entropy point (${Object.keys(ENTROPY_POINTS).join(', ')}; see docs/eval/calibration.md); writes to .cache/eval/eval/<name>/ (quick: .../quick/<name>/) unless --out`)
    .action((o) => {
      if (o.point !== undefined && !(o.point in ENTROPY_POINTS)) throw new Error(`--point must be one of ${Object.keys(ENTROPY_POINTS).join(', ')}, got "${o.point}"`)
      if (o.point !== undefined && (o.temperature !== undefined || o.topP !== undefined)) throw new Error('--point sets the temperature and top-p: do not pass them too')
      const custom = o.temperature !== undefined || o.topP !== undefined
      const sampling = o.point ? ENTROPY_POINTS[o.point as EntropyPoint] : custom ? { temperature: o.temperature ?? 1, topP: o.topP ?? 1 } : undefined
      const outDir = o.out ?? (o.point ? join(evalOutDir('eval', !!o.quick), o.point) : undefined)
      runEval({ quick: !!o.quick, outDir, seed: o.seed, sampling, point: o.point, budgetSeconds: o.budget, docs: o.docs }, (line) => io.err(`${line}\n`))
    })

  program
    .command('calibrate')
    .description('sweep the temperature: KGW as in Kirchenbauer et al. 2023 Table 2 (gamma 0.25, delta 2, LeftHash h=1, 200 tokens): z-scores, TPR at z=4, entropy, perplexity; one JSON line per temperature on stdout')
    .option('--temperatures <list>', 'comma-separated temperatures', '1,0.8,0.7,0.6,0.5')
    .option('--docs <n>', 'prompts per temperature', integerOption('--docs', 1, 10_000_000), 60)
    .action((o) => {
      const temps = String(o.temperatures).split(',').map((t) => numberOption('--temperatures', 1e-6, 100)(t.trim()))
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
    .option('--temperature <t>', 'sampling temperature', numberOption('--temperature', 1e-6, 100), 1)
    .option('--top-p <p>', 'nucleus mass', numberOption('--top-p', 1e-9, 1), 1)
    .option('--prompts <n>', 'prompts', integerOption('--prompts', 1, 10_000_000), 50)
    .option('--regenerations <n>', 'answers per prompt', integerOption('--regenerations', 1, 10_000_000), 10)
    .option('--tokens <n>', 'tokens per answer', integerOption('--tokens', 1, 10_000_000), 64)
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
    .description('fingerprint exact-match/attribution rates, collusion, false attribution')
    .option('--quick', 'CI-sized run')
    .option('--out <dir>', 'output directory (default .cache/eval/fingerprint/full or /quick; the published tables: --out docs/fingerprint)')
    .option('--temperature <t>', 'sampling temperature of the answers (default 1)', numberOption('--temperature', 0, 100))
    .option('--top-p <p>', 'top-p of the answers (default 1)', numberOption('--top-p', 0.01, 1))
    .option('--docs <n>', 'answers per configuration (default 100, quick 8)', integerOption('--docs', 1, 100_000))
    .option('--trials <n>', 'false-attribution trials (default 100000, quick 2000)', integerOption('--trials', 1, 10_000_000))
    .option('--compare', 'also run the colour-bias fingerprints (the former default, kgw) for comparison')
    .action((o) => {
      runFingerprintEval(
        { quick: !!o.quick, outDir: o.out, temperature: o.temperature, topP: o.topP, docs: o.docs, trials: o.trials, compare: !!o.compare },
        (line) => io.err(`${line}\n`),
      )
    })

  program
    .command('eval-race')
    .description('race fingerprint at one entropy point: attribution rates of >= 200 answers with Wilson intervals, perplexity ratio, and false-attribution trials with full 2^32 decoding; writes race-<point>.json/.md')
    .option('--point <name>', `entropy point (${Object.keys(ENTROPY_POINTS).join(', ')}; see docs/eval/calibration.md)`, 't1')
    .option('--answers <n>', 'watermarked answers, each with a fresh key and random account', integerOption('--answers', 2, 1_000_000), 200)
    .option('--null-trials <n>', 'false-attribution trials on key-independent text, each under a fresh key', integerOption('--null-trials', 0, 100_000_000), 1000)
    .option('--own-trials <n>', 'false-attribution trials on the answers under their own key', integerOption('--own-trials', 0, 100_000_000), 1000)
    .option('--seed <s>', 'run seed (keys, accounts, prompts, sampler seeds)', integerOption('--seed', 0, SEED_MAX), 1)
    .option('--out <dir>', 'output directory (default .cache/eval/fingerprint/race)')
    .action((o) => {
      if (!(o.point in ENTROPY_POINTS)) throw new Error(`--point must be one of ${Object.keys(ENTROPY_POINTS).join(', ')}, got "${o.point}"`)
      const outDir = o.out ?? join(evalOutDir('fingerprint', false), '..', 'race')
      runRaceEval({ point: o.point as EntropyPoint, answers: o.answers, nullTrials: o.nullTrials, ownTrials: o.ownTrials, seed: o.seed, outDir }, (line) => io.err(`${line}\n`))
    })

  program
    .command('eval-radioactivity')
    .description('radioactivity p-values vs the watermarked fraction of a student\'s training data and the queried tokens; ~26 min, --quick ~2 min')
    .option('--quick', 'CI-sized run')
    .option('--out <dir>', 'output directory (default .cache/eval/radioactivity/full or /quick; the published tables: --out docs/radioactivity)')
    .option('--fractions <list>', 'watermarked fractions, comma-separated (default 0,0.005,0.01,0.05,0.1,0.5)', fractionList)
    .option('--probes <list>', `probes to run, separated by ';' (default all: ${PROBES.map((p) => p.label).join('; ')})`, (v: string) => v.split(';').map((x) => x.trim()))
    .option('--clean-keys <n>', 'keys the clean student is scored with (default 500)', integerOption('--clean-keys', 1, 100_000))
    .action((o) => {
      // The total is known once the run has laid out its fractions: the line starts with the first tokens.
      let progress: ReturnType<typeof createTaskProgress> | undefined
      const log = (line: string) => {
        progress?.clear()
        io.err(`${line}\n`)
      }
      const onProgress = (done: number, total: number) => {
        progress ??= createTaskProgress(io, { total, unit: 'tokens generated' })
        progress.update(done)
      }
      runRadioactivityEval({ quick: !!o.quick, outDir: o.out, fractions: o.fractions, probes: o.probes, cleanKeys: o.cleanKeys, onProgress }, log)
      progress?.clear()
    })

  program
    .command('eval-radioactivity-walk')
    .description('one student walked along the served answers (temperature 1 by default): log10 p against all accounts and against the served one')
    .option('--key-seed <n>', 'key seed, as in eval-radioactivity', integerOption('--key-seed', 0, SEED_MAX), 1)
    .option('--fraction <f>', 'watermarked fraction of the training data', numberOption('--fraction', 0.0001, 0.99), 0.01)
    .option('--temperature <t>', 'the student\'s sampling temperature', numberOption('--temperature', 0, 100), 1)
    .option('--teacher-temperature <t>', 'the teacher\'s sampling temperature for the served answers (0.6: the calibrated point)', numberOption('--teacher-temperature', 0.01, 100), 1)
    .option('--step <n>', 'served tokens between two prompts of an answer (default 1, as tracemark probe --served)', integerOption('--step', 1, 10_000))
    .option('--tokens <n>', 'tokens asked per prompt (default: the step)', integerOption('--tokens', 1, 10_000))
    .option('--samples <n>', 'answers asked per prompt (sent together)', integerOption('--samples', 1, 10_000), 1)
    .action((o) => {
      runWalkEval({ keySeed: o.keySeed, fraction: o.fraction, temperature: o.temperature, teacherTemperature: o.teacherTemperature, step: o.step, tokens: o.tokens, samples: o.samples }, (line) => io.err(`${line}\n`))
    })

  program
    .command('steal')
    .description('watermark stealing: an attacker learns the key\'s preferences from answers, then forges (spoofs) and erases (scrubs) the watermark (docs/security.md)')
    .requiredOption('--out <dir>', 'output directory (steal.json, steal.md)')
    .option('--queries <list>', 'checkpoints: answers collected, comma-separated ascending', '0,100,300,1000')
    .option('--configs <list>', `configurations by index, comma-separated (${STEAL_CONFIGS.map((c, i) => `${i}: ${c.name}`).join('; ')})`)
    .option('--attempts <n>', 'forged texts and scrubbed answers per checkpoint', integerOption('--attempts', 1, 100_000), 50)
    .option('--tokens <n>', 'tokens per answer', integerOption('--tokens', 1, 100_000), 200)
    .option('--strength <s>', 'spoofing logit bias per unit of learned preference', numberOption('--strength', 0, 20), 1.5)
    .option('--temperature <t>', 'sampling temperature of the endpoint, the attacker\'s own answers and its forgeries', numberOption('--temperature', 0.05, 10), 1)
    .action(async (o) => {
      const list = (v: string, name: string) =>
        v.split(',').map((x) => {
          const n = Number(x)
          if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be comma-separated non-negative integers, got "${x}"`)
          return n
        })
      const queries = list(o.queries, '--queries')
      if (queries.some((q, i) => i > 0 && q <= queries[i - 1])) throw new Error('--queries must be ascending')
      const configs = o.configs === undefined ? undefined : list(o.configs, '--configs')
      if (configs?.some((c) => c >= STEAL_CONFIGS.length)) throw new Error(`--configs: indexes go from 0 to ${STEAL_CONFIGS.length - 1}`)
      if (o.attempts < 1 || o.tokens < 1) throw new Error('--attempts and --tokens must be positive')
      await runSteal({ out: o.out, queries, configs, attempts: o.attempts, tokens: o.tokens, strength: o.strength, temperature: o.temperature, log: (m) => io.err(`${m}\n`) })
    })

  try {
    await program.parseAsync(argv, { from: 'user' })
    return status
  } catch (e) {
    const err = e as Error & { code?: unknown }
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0
    if (typeof err.code === 'string' && err.code.startsWith('commander.')) return 2
    io.err(`tracemark-lab: ${printable(String(err?.message ?? err), 2000)}\n`)
    return 2
  }
}
