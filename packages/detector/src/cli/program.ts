import { Command, InvalidArgumentError } from 'commander'
import { detect } from '../detect.js'
import { TOKENIZER_BACKENDS, TOKENIZER_NAMES, type TokenizerBackend, type TokenizerName } from '../text/tokenizer.js'
import { availableParallelism } from 'node:os'
import { DEFAULT_SCHEME, serializeKey } from '@tracemark/watermark'
import { runDistributedScan } from '../scan/distributed/coordinator.js'
import { runScanWorker } from '../scan/distributed/worker.js'
import { inputBytes, runScan, type ScanIo, type ScanOptions } from '../scan/run.js'
import { formatAttribution, formatDocumentLine, formatProbe, formatSummary, formatVerdict } from './format.js'
import { createProgress } from './progress.js'
import { readPrompts, readRegistry, readServed, readTextInput } from './input.js'
import { PROBE_TEMPERATURE, probeEndpoint } from '../probe/probe.js'
import { DEFAULT_PROBE_PROMPTS } from '../probe/prompts.js'
import { readKeyFile } from './keyfile.js'
import { keygen } from './keygen.js'

export interface Io {
  out: (s: string) => void
  err: (s: string) => void
}

function probability(v: string): number {
  const x = Number(v)
  if (!(x > 0 && x < 1)) throw new InvalidArgumentError('must be a number in (0, 1)')
  return x
}

function collect(v: string, prev: string[]): string[] {
  return [...prev, v]
}

/** `--common-tuples`: a fraction in (0, 1), "off", or absent (automatic). */
function commonTuplesOption(v: string | undefined): number | false | undefined {
  if (v === undefined) return undefined
  if (v === 'off') return false
  const x = Number(v)
  if (!(x > 0 && x < 1)) throw new Error('--common-tuples must be a fraction in (0, 1) or "off"')
  return x
}

const number = (name: string) => (v: string) => {
  const x = Number(v)
  if (!Number.isFinite(x)) throw new InvalidArgumentError(`${name} must be a number`)
  return x
}

/**
 * The `tracemark` command line. Exit status like grep: 0 watermark detected,
 * 1 not detected, 2 usage or input error. Returns the status instead of exiting
 * so tests can drive it in-process.
 */
export async function run(argv: string[], io: Io): Promise<number> {
  let status = 0
  const program = new Command('tracemark')
    .description('Detect tracemark watermarks in text, with exact p-values.')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError()

  program
    .command('keygen')
    .description('make a new watermark key file (mode 0600) and print its public keyId')
    .option('--scheme <name>', 'kgw | gumbel | synthid | unigram (default: gumbel, chosen by the lab evaluation)', DEFAULT_SCHEME)
    .option('--param <name=value>', 'scheme parameter, repeatable (e.g. gamma=0.25)', collect, [])
    .option('--tokenizer <name>', `the model's tokenizer: ${TOKENIZER_NAMES.join(' | ')}`, 'cl100k_base')
    .requiredOption('--out <file>', 'where to write the key')
    .option('--fingerprint-bits <n>', 'embed a per-account fingerprint of n bits (1..48, e.g. 32)', number('--fingerprint-bits'))
    .option('--fingerprint-embedding <e>', 'race (distortion-free, gumbel only; the default for gumbel) | bias (a logit bias of delta on one of 256 colours; the default for other schemes)')
    .option('--fingerprint-delta <d>', 'colour-bias embedding: logit bias (default 4)', number('--fingerprint-delta'))
    .option('--fingerprint-positions <n>', 'fingerprint Reed-Solomon code length (default 32)', number('--fingerprint-positions'))
    .option('--force', 'overwrite an existing key file')
    .action((o) => {
      io.out(`${keygen(o)}\n`)
      if (o.scheme === 'unigram') {
        io.err('tracemark: note: with a unigram key, one key\'s false-positive rate on a human corpus can be far above alpha (a fixed green list); gumbel (the default) does not have this problem\n')
      }
      status = 0
    })

  program
    .command('detect')
    .description('test a text for the watermark of a key')
    .argument('[file]', 'text file, or - for standard input', '-')
    .requiredOption('--key <file>', 'key file')
    .option('--tokenizer <name>', `override the key's tokenizer: ${TOKENIZER_NAMES.join(' | ')}`)
    .option('--tokenizer-backend <b>', `${TOKENIZER_BACKENDS.join(' | ')} (identical ids; gpt-tokenizer is faster)`, 'tiktoken')
    .option('--alpha <a>', 'significance level', probability, 1e-6)
    .option('--no-normalize', 'do not normalize the text (NFC, invisible characters, homoglyphs) before tokenizing')
    .option('--accounts <file>', 'registry of account numbers (one per line) for fingerprint attribution')
    .option('--json', 'print one JSON object')
    .action((file: string, o) => {
      if (o.tokenizer && !TOKENIZER_NAMES.includes(o.tokenizer)) {
        throw new Error(`--tokenizer must be one of ${TOKENIZER_NAMES.join(', ')}`)
      }
      if (!TOKENIZER_BACKENDS.includes(o.tokenizerBackend)) {
        throw new Error(`--tokenizer-backend must be one of ${TOKENIZER_BACKENDS.join(', ')}`)
      }
      const key = readKeyFile(o.key)
      const text = readTextInput(file)
      const r = detect(text, key, {
        alpha: o.alpha,
        tokenizer: o.tokenizer as TokenizerName | undefined,
        tokenizerBackend: o.tokenizerBackend as TokenizerBackend,
        normalize: o.normalize ? undefined : false,
        accounts: o.accounts ? readRegistry(o.accounts) : undefined,
      })
      io.out(o.json ? `${JSON.stringify({ ...r, spec: key.spec })}\n` : `${formatVerdict(r, key.spec)}\n`)
      status = r.detected ? 0 : 1
    })

  program
    .command('attribute')
    .description('name the account(s) whose fingerprint a text carries (exit 0 if one is named, 1 if none)')
    .argument('[file]', 'text file, or - for standard input', '-')
    .requiredOption('--key <file>', 'key file (with a fingerprint)')
    .option('--accounts <file>', 'registry of account numbers, one per line; the correction is its size (default 2^bits)')
    .option('--alpha <a>', 'significance level for naming an account', probability, 1e-6)
    .option('--json', 'print one JSON object')
    .action((file: string, o) => {
      const key = readKeyFile(o.key)
      if (!key.spec.fingerprint) throw new Error(`${o.key}: this key carries no fingerprint (make one with keygen --fingerprint-bits)`)
      const text = readTextInput(file)
      const r = detect(text, key, { alpha: o.alpha, accounts: o.accounts ? readRegistry(o.accounts) : undefined })
      const a = r.attribution ?? null
      io.out(o.json ? `${JSON.stringify({ keyId: r.keyId, attribution: a })}\n` : `${formatAttribution(a, r.tokens)}\n`)
      status = a ? 0 : 1
    })

  program
    .command('scan')
    .description('scan a corpus (JSONL, Parquet, text files or directories; .gz/.zst) for watermarked documents')
    .argument('<inputs...>', 'files or directories (- for standard input)')
    .requiredOption('--key <file>', 'key file; repeat for several keys (scored in one pass, corrected for their number)', collect, [])
    .option('--field <path>', 'JSONL field / Parquet column holding the text (dot path, e.g. messages.1.content)', 'text')
    .option('--format <f>', 'jsonl | parquet | text (default: from the file extension)')
    .option('--workers <n>', 'worker threads', number('--workers'), Math.max(1, Math.min(4, availableParallelism())))
    .option('--fdr <q>', 'false-discovery rate for flagging documents', probability, 0.01)
    .option('--fdr-dependence <d>', 'positive (Benjamini-Hochberg) | arbitrary (Benjamini-Yekutieli)', 'positive')
    .option('--alpha <a>', 'per-document significance for "detected" in document records', probability, 1e-6)
    .option('--accounts <file>', 'registry of account numbers for fingerprint attribution')
    .option('--tokenizer-backend <b>', `${TOKENIZER_BACKENDS.join(' | ')} (identical ids; gpt-tokenizer is ~3x faster)`, 'tiktoken')
    .option('--resume <state>', 'state file: a killed scan restarted with it finishes with the same results')
    .option('--block-size <n>', 'documents per pooling block and worker batch', number('--block-size'), 512)
    .option('--common-tuples <f>', 'do not score tuples found in at least this fraction of the first 20k distinct documents (default 0.004 for kgw/unigram keys, whose one-key false-positive rate they inflate; "off" to disable)')
    .option('--report <file>', 'write a self-contained HTML report (summary, p-value histogram, flagged documents highlighted, accounts)')
    .option('--redis <url>', 'distribute the scan as BullMQ shard jobs on this Redis (run `tracemark worker` on each machine)')
    .option('--shard-size <n>', 'records per shard job with --redis (rounded up to whole blocks)', number('--shard-size'))
    .option('--json', 'NDJSON: one record per document or input error, then a summary record')
    .action(async (inputs: string[], o) => {
      if (o.key.length === 0) throw new Error('--key is required')
      if (o.format && !['jsonl', 'parquet', 'text'].includes(o.format)) throw new Error('--format must be jsonl, parquet or text')
      if (!['positive', 'arbitrary'].includes(o.fdrDependence)) throw new Error('--fdr-dependence must be positive or arbitrary')
      if (!TOKENIZER_BACKENDS.includes(o.tokenizerBackend)) throw new Error(`--tokenizer-backend must be one of ${TOKENIZER_BACKENDS.join(', ')}`)
      const keyTexts = (o.key as string[]).map((path) => serializeKey(readKeyFile(path)))
      const progress = createProgress(io, inputBytes(inputs))
      const scan = o.redis ? (opts: ScanOptions, sio: ScanIo) => runDistributedScan({ ...opts, redis: o.redis, shardSize: o.shardSize }, sio) : runScan
      const summary = await scan(
        {
          inputs,
          keyTexts,
          format: o.format,
          field: o.field,
          workers: o.workers,
          fdr: o.fdr,
          fdrDependence: o.fdrDependence,
          alpha: o.alpha,
          accounts: o.accounts ? readRegistry(o.accounts) : undefined,
          resume: o.resume,
          blockSize: o.blockSize,
          report: o.report,
          commonTuples: commonTuplesOption(o.commonTuples),
          scorer: { tokenizerBackend: o.tokenizerBackend as TokenizerBackend },
        },
        {
          record: (line) => {
            if (o.json) io.out(`${line}\n`)
            else {
              const r = JSON.parse(line)
              if (r.type === 'document' && r.detected) io.out(`${formatDocumentLine(r)}\n`)
            }
          },
          warn: (m) => {
            progress.clear()
            io.err(`tracemark: ${m}\n`)
          },
          progress: (p) => progress.update(p),
        },
      )
      progress.clear()
      if (!o.json) io.out(`${formatSummary(summary)}\n`)
      status = summary.flagged > 0 || summary.pooledLog10PValue < Math.log10(o.alpha) ? 0 : 1
    })

  program
    .command('probe')
    .description('radioactivity test: was the model behind an OpenAI-compatible endpoint trained on text watermarked with the key? (exit 0 radioactive, 1 not)')
    .requiredOption('--key <file>', 'key file')
    .requiredOption('--endpoint <url>', 'base URL of the suspect API, e.g. http://127.0.0.1:8000 or https://host/v1')
    .option('--api-key <k>', 'API key for the suspect endpoint (or set TRACEMARK_PROBE_API_KEY)')
    .option('--prompts <file>', 'prompts, one per line (.jsonl: {"prompt": ...} per line); best: those the suspected account sent. Default: 40 built-in openings')
    .option('--served <file>', 'answers served to the suspected account (JSONL: {"prompt", "answer"} per line): walk the suspect along them instead of sending --prompts (strong at temperature 1)')
    .option('--walk-start <n>', 'with --served: answer tokens in the first prompt of the walk (default 8)', number('--walk-start'))
    .option('--walk-step <n>', 'with --served: tokens asked at each point of the walk (default 4)', number('--walk-step'))
    .option('--max-tokens <n>', 'tokens per answer', number('--max-tokens'), 200)
    .option('--budget <n>', 'stop after this many answer tokens', number('--budget'), 100_000)
    .option('--temperature <t>', 'sampling temperature requested (near-mode answers carry more of what the suspect learned)', number('--temperature'), PROBE_TEMPERATURE)
    .option('--chat', 'use /v1/chat/completions instead of /v1/completions')
    .option('--model <name>', 'model name to request (default: the first one /v1/models lists)')
    .option('--concurrency <n>', 'requests in flight', number('--concurrency'), 4)
    .option('--alpha <a>', 'significance level', probability, 1e-6)
    .option('--accounts <file>', 'registry of account numbers for fingerprint attribution')
    .option('--json', 'print one JSON object')
    .action(async (o) => {
      const key = readKeyFile(o.key)
      const served = o.served ? readServed(o.served) : undefined
      const prompts = o.prompts ? readPrompts(o.prompts) : served ? undefined : [...DEFAULT_PROBE_PROMPTS]
      const tty = process.stderr.isTTY === true
      const r = await probeEndpoint(key, {
        endpoint: o.endpoint,
        apiKey: o.apiKey ?? process.env.TRACEMARK_PROBE_API_KEY,
        prompts,
        served,
        walk: { start: o.walkStart, step: o.walkStep },
        maxTokens: o.maxTokens,
        budget: o.budget,
        chat: !!o.chat,
        model: o.model,
        temperature: o.temperature,
        concurrency: o.concurrency,
        alpha: o.alpha,
        accounts: o.accounts ? readRegistry(o.accounts) : undefined,
        onProgress: tty ? (p) => io.err(`\r${p.answers} answers, ${p.tokens} tokens   `) : undefined,
      })
      if (tty) io.err('\r\x1b[K')
      io.out(o.json ? `${JSON.stringify({ endpoint: o.endpoint, ...r })}\n` : `${formatProbe(r, o.endpoint)}\n`)
      status = r.radioactive ? 0 : 1
    })

  program
    .command('worker')
    .description('process distributed scan shards from a Redis queue until interrupted (SIGINT/SIGTERM finish the active shards)')
    .requiredOption('--redis <url>', 'Redis URL, e.g. redis://127.0.0.1:6379 (loopback or a trusted network: shards carry key files)')
    .option('--concurrency <n>', 'shards at once and scoring threads (default: all cores)', number('--concurrency'))
    .action(async (o) => {
      const stop = new AbortController()
      const onSignal = () => stop.abort()
      process.once('SIGINT', onSignal)
      process.once('SIGTERM', onSignal)
      await runScanWorker(o.redis, { concurrency: o.concurrency, signal: stop.signal, log: (m) => io.err(`${m}\n`) })
      status = 0
    })

  try {
    await program.parseAsync(argv, { from: 'user' })
    return status
  } catch (e) {
    const err = e as Error & { code?: string; exitCode?: number }
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0
    if (err.code?.startsWith('commander.')) return 2 // commander already printed the message
    io.err(`tracemark: ${err.message}\n`)
    return 2
  }
}
