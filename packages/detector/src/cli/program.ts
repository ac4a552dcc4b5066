import { Command, InvalidArgumentError } from 'commander'
import { detect } from '../detect.js'
import { DEFAULT_TOKENIZER_BACKEND, TOKENIZER_BACKENDS, TOKENIZER_NAMES, type TokenizerBackend } from '../text/tokenizer.js'
import { checkTokenizerForKey, tokenizerForKey } from '../text/key-tokenizer.js'
import { resolve } from 'node:path'
import { availableParallelism } from 'node:os'
import { DEFAULT_SCHEME, parseKey, serializeKey } from '@tracemark/watermark'
import { fstatSync } from 'node:fs'
import { inputBytes, runScan, ScanInterrupted, type ScanIo, type ScanOptions } from '../scan/run.js'
import { fileIdentity } from '../scan/sources/index.js'
import { listOnce } from '../scan/sources/s3.js'
import { formatAttribution, formatDocumentLine, formatProbe, formatSummary, formatVerdict } from './format.js'
import { createProgress, createTaskProgress } from './progress.js'
import { integerOption, numberOption } from './options.js'
import { interruptOnSignals } from './signals.js'
import { secretCommitRisk } from './gitcheck.js'
import { printable } from '../text/printable.js'
import { plural } from '../text/plural.js'
import { DEFAULT_TIMEOUT_MS, displayEndpoint } from '../probe/client.js'
import { readNonEmptyText, readPrompts, readRegistry, readServed, requireEvidence } from './input.js'
import { PROBE_TEMPERATURE, probeEndpoint, type ProbeAnswer } from '../probe/probe.js'
import { DEFAULT_PROBE_PROMPTS } from '../probe/prompts.js'
import { readKeyFile } from './keyfile.js'
import { keygen } from './keygen.js'
import { addEvidenceCommands } from './evidence.js'
import { assertNewBundle } from '../evidence/bundle.js'
import { corpusInputs, openScanRecords, writeDetectEvidence, writeProbeEvidence, writeScanEvidence } from '../evidence/make.js'
import { batched } from '../batched.js'

export interface Io {
  out: (s: string) => void
  err: (s: string) => void
}

function probability(v: string): number {
  const x = Number(v)
  if (!(x > 0 && x < 1)) throw new InvalidArgumentError('must be a number in (0, 1)')
  return x
}

/** A number in (0, 1]: a level that may also be 1. */
function probabilityOrOne(v: string): number {
  const x = Number(v)
  if (!(x > 0 && x <= 1)) throw new InvalidArgumentError('must be a number in (0, 1]')
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

/**
 * A scan's `--tokenizer` files as absolute paths (workers may run elsewhere), after
 * checking here, before any document is read, that every key gets its tokenizer.
 */
function tokenizerFiles(paths: string[], keyTexts: string[]): string[] {
  const files = paths.map((p) => resolve(p))
  for (const text of keyTexts) checkTokenizerForKey(parseKey(text).spec, files)
  return files
}

/** `dev:ino` of standard output when it is a file, so a scan never reads its own output back. */
function stdoutIdentity(): string[] {
  try {
    const s = fstatSync(1)
    return s.isFile() ? [fileIdentity(s)] : []
  } catch {
    return []
  }
}

/** Output gathered before a write (UTF-16 units): a block's records are ~180 KB. */
const OUTPUT_BATCH = 1 << 20

const SCAN_EXIT_CODES = `
Exit status:
  0  a document was flagged, or the pooled corpus test is significant at --alpha
  1  nothing detected
  2  usage or input error: a bad option, an unreadable key, or no document could be read
     (missing paths, only unreadable or bad inputs, an empty corpus)
  130, 143  interrupted by SIGINT / SIGTERM: the blocks in flight were finished and, with
     --resume, saved; run the same command to go on
`

const number = (name: string) => (v: string) => {
  const x = Number(v)
  if (!Number.isFinite(x)) throw new InvalidArgumentError(`${name} must be a number`)
  return x
}

const DETECT_EXIT_CODES = `
Exit status:
  0  watermark detected (p < alpha)
  1  no watermark detected
  2  usage or input error: unreadable or missing file, empty text, a text too short
     to score a single (context, token) tuple, a bad key file or option
`

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

  const keyWarnings = { warn: (m: string) => io.err(`tracemark: warning: ${m}\n`) }

  program
    .command('keygen')
    .description('make a new watermark key file (mode 0600) and print its public keyId')
    .option('--scheme <name>', 'kgw | gumbel | synthid | unigram (default: gumbel, chosen by the lab evaluation)', DEFAULT_SCHEME)
    .option('--param <name=value>', 'scheme parameter, repeatable (e.g. gamma=0.25)', collect, [])
    .option('--tokenizer <name|path>', `the model's tokenizer: ${TOKENIZER_NAMES.join(' | ')}, or a Hugging Face tokenizer.json (the key records its SHA-256)`, 'cl100k_base')
    .option('--tokenizer-name <name>', "name recorded for a tokenizer.json (default: its folder's name)")
    .option('--vocab-size <n>', "the model's logits length when it exceeds the tokenizer's ids (e.g. 151936 for Qwen)", number('--vocab-size'))
    .requiredOption('--out <file>', 'where to write the key')
    .option('--fingerprint-bits <n>', 'bits of the per-account fingerprint (1..48; default 32 for gumbel, none for the other schemes)', number('--fingerprint-bits'))
    .option('--no-fingerprint', 'a gumbel key without a fingerprint: one stream, forgeable by watermark stealing (docs/security.md)')
    .option('--fingerprint-embedding <e>', 'race (distortion-free, gumbel only; the default for gumbel) | bias (a logit bias of delta on one of 256 colours; the default for other schemes)')
    .option('--fingerprint-delta <d>', 'colour-bias embedding: logit bias (default 4)', number('--fingerprint-delta'))
    .option('--fingerprint-positions <n>', 'fingerprint Reed-Solomon code length (default 32)', number('--fingerprint-positions'))
    .option('--commitment <file>', 'where to write the public key commitment to publish (default: <out without .json>.commitment.json)')
    .option('--no-commitment', 'do not write a commitment')
    .option('--force', 'overwrite an existing key file')
    .action((o) => {
      io.out(`${keygen(o)}\n`)
      const risk = secretCommitRisk(o.out)
      if (risk) io.err(`tracemark: warning: ${risk}\n`)
      if (o.scheme === 'unigram') {
        io.err('tracemark: note: with a unigram key, one key\'s false-positive rate on a human corpus can be far above alpha (a fixed green list); gumbel (the default) does not have this problem\n')
      }
      // Measured in docs/security.md: one-stream keys are forged by watermark stealing; race-fingerprinted ones were not.
      if (o.scheme === 'gumbel' && o.fingerprint === false && !o.param.some((p: string) => p.startsWith('nonces='))) {
        io.err('tracemark: note: an attacker who reads ~1,000 answers of a key without a fingerprint can forge text that tests positive (28% of attempts at p < 1e-3 at temperature 0.6; docs/security.md). For a key whose evidence may be disputed, keep the default fingerprint: no forgery found up to 30,000 answers\n')
      }
      status = 0
    })

  program
    .command('detect')
    .description('test a text for the watermark of a key')
    .argument('[file]', 'text file, or - for standard input', '-')
    .requiredOption('--key <file>', 'key file')
    .option('--tokenizer <name|path>', `the key's tokenizer.json (required for a key made from one), or a built-in override: ${TOKENIZER_NAMES.join(' | ')}`)
    .option('--tokenizer-backend <b>', `${TOKENIZER_BACKENDS.join(' | ')} (identical ids; gpt-tokenizer, the default, is faster)`, DEFAULT_TOKENIZER_BACKEND)
    .option('--alpha <a>', 'significance level', probability, 1e-6)
    .option('--no-normalize', 'do not normalize the text (NFC, invisible characters, homoglyphs) before tokenizing')
    .option('--accounts <file>', 'registry of account numbers (one per line) for fingerprint attribution')
    .option('--json', 'print one JSON object')
    .option('--evidence <dir>', 'write an evidence bundle a third party can check with tracemark verify')
    .addHelpText('after', DETECT_EXIT_CODES)
    .action((file: string, o) => {
      if (!TOKENIZER_BACKENDS.includes(o.tokenizerBackend)) {
        throw new Error(`--tokenizer-backend must be one of ${TOKENIZER_BACKENDS.join(', ')}`)
      }
      if (o.evidence) assertNewBundle(o.evidence)
      const key = readKeyFile(o.key, keyWarnings)
      const text = readNonEmptyText(file)
      const r = detect(text, key, {
        alpha: o.alpha,
        tokenizer: o.tokenizer as string | undefined,
        tokenizerBackend: o.tokenizerBackend as TokenizerBackend,
        normalize: o.normalize ? undefined : false,
        accounts: o.accounts ? readRegistry(o.accounts) : undefined,
      })
      requireEvidence(r, file)
      if (o.evidence) {
        const parameters = { alpha: o.alpha, tokenizer: o.tokenizer ?? null, tokenizerBackend: o.tokenizerBackend, normalize: !!o.normalize }
        writeDetectEvidence(o.evidence, { text, source: file === '-' ? 'standard input' : file, key, parameters, accountsFile: o.accounts, result: r })
      }
      io.out(o.json ? `${JSON.stringify({ ...r, spec: key.spec })}\n` : `${formatVerdict(r, key.spec)}\n`)
      status = r.detected ? 0 : 1
    })

  program
    .command('attribute')
    .description('name the account(s) whose fingerprint a text carries (exit 0 if one is named, 1 if none)')
    .argument('[file]', 'text file, or - for standard input', '-')
    .requiredOption('--key <file>', 'key file (with a fingerprint)')
    .option('--accounts <file>', 'registry of account numbers, one per line; the correction is its size (default 2^bits)')
    .option('--tokenizer <path>', "the key's tokenizer.json (required for a key made from one)")
    .option('--alpha <a>', 'significance level for naming an account', probability, 1e-6)
    .option('--json', 'print one JSON object')
    .action((file: string, o) => {
      const key = readKeyFile(o.key, keyWarnings)
      if (!key.spec.fingerprint) throw new Error(`${o.key}: this key carries no fingerprint (make one with keygen --fingerprint-bits)`)
      const text = readNonEmptyText(file)
      const r = detect(text, key, { alpha: o.alpha, tokenizer: o.tokenizer, accounts: o.accounts ? readRegistry(o.accounts) : undefined })
      requireEvidence(r, file)
      const a = r.attribution ?? null
      io.out(o.json ? `${JSON.stringify({ keyId: r.keyId, attribution: a })}\n` : `${formatAttribution(a, r.tokens)}\n`)
      status = a ? 0 : 1
    })

  program
    .command('scan')
    .description('scan a corpus (JSONL, Parquet, text files or directories, local or s3://; .gz/.zst) for watermarked documents')
    .argument('<inputs...>', 'files, directories, s3://bucket/key or s3://bucket/prefix/ (- for standard input)')
    .requiredOption('--key <file>', 'key file; repeat for several keys (scored in one pass, corrected for their number)', collect, [])
    .option('--field <path>', 'JSONL field / Parquet column holding the text (dot path, e.g. messages.1.content)', 'text')
    .option('--format <f>', 'jsonl | parquet | text (default: from the file extension)')
    .option('--workers <n>', 'worker threads, each reading and scoring its own blocks (at most the cores available are started)', integerOption('--workers', 1, 1024), Math.max(1, Math.min(4, availableParallelism())))
    .option('--fdr <q>', 'false-discovery rate for flagging documents', probability, 0.01)
    .option('--fdr-dependence <d>', 'positive (Benjamini-Hochberg) | arbitrary (Benjamini-Yekutieli)', 'positive')
    .option('--alpha <a>', 'per-document significance for "detected" in document records', probability, 1e-6)
    .option('--accounts <file>', 'registry of account numbers for fingerprint attribution')
    .option('--tokenizer-backend <b>', `${TOKENIZER_BACKENDS.join(' | ')} (identical ids; gpt-tokenizer, the default, is faster)`, DEFAULT_TOKENIZER_BACKEND)
    .option('--tokenizer <path>', 'tokenizer.json of a key made from one; repeat for several (each key takes the file whose SHA-256 it records)', collect, [])
    .option('--resume <state>', 'state file: a killed scan restarted with it finishes with the same results')
    .option('--block-size <n>', 'records per pooling block and worker batch (1 to 100000)', integerOption('--block-size', 1, 100_000), 512)
    .option('--full-votes', 'race-fingerprinted keys: decode every document from all 256 byte scores per token, as detect does (more power on short low-entropy texts; several times slower than the default, which decodes only documents whose per-token p < 1/2, from quick votes)')
    .option('--decode-below <p>', 'race-fingerprinted keys: decode a document\'s account only when its per-token p < this (default 0.5; 1 decodes every document). Lower scans an unmarked corpus faster and finds fewer short low-entropy watermarked texts (docs/scale.md); records stay exact p-values', probabilityOrOne)
    .option('--common-tuples <f>', 'do not score tuples found in at least this fraction of the first 20k distinct documents (default 0.004 for kgw/unigram keys, whose one-key false-positive rate they inflate; "off" to disable)')
    .option('--report <file>', 'write a self-contained HTML report (summary, p-value histogram, flagged documents highlighted, accounts)')
    .option('--redis <url>', 'distribute the scan as BullMQ shard jobs on this Redis (run `tracemark worker` on each machine)')
    .option('--shard-size <n>', 'records per shard job with --redis (rounded up to whole blocks)', integerOption('--shard-size', 1, 100_000_000))
    .option('--json', 'NDJSON: one record per document or input error, then a summary record')
    .option('--evidence <dir>', 'write an evidence bundle (the inputs by path and SHA-256, every record) for tracemark verify')
    .addHelpText('after', SCAN_EXIT_CODES)
    .action(async (inputs: string[], o) => {
      if (o.key.length === 0) throw new Error('--key is required')
      if (o.format && !['jsonl', 'parquet', 'text'].includes(o.format)) throw new Error('--format must be jsonl, parquet or text')
      if (!['positive', 'arbitrary'].includes(o.fdrDependence)) throw new Error('--fdr-dependence must be positive or arbitrary')
      if (!TOKENIZER_BACKENDS.includes(o.tokenizerBackend)) throw new Error(`--tokenizer-backend must be one of ${TOKENIZER_BACKENDS.join(', ')}`)
      if (o.evidence) assertNewBundle(o.evidence)
      if (o.fullVotes && o.decodeBelow !== undefined) throw new Error('--decode-below is for quick votes; --full-votes decodes every document')
      const keys = (o.key as string[]).map((path) => readKeyFile(path, keyWarnings))
      const keyTexts = keys.map((k) => serializeKey(k))
      // Hashed before the scan reads them: the bundle vouches for what was scanned.
      // One listing of each s3:// input for the evidence, the progress total and the scan.
      const list = listOnce()
      const evidenceInputs = o.evidence ? await corpusInputs(inputs, list) : null
      // The bundle's records are written as they are emitted; the summary goes into evidence.json.
      const evidenceRecords = o.evidence ? openScanRecords(o.evidence) : null
      let evidenceSummary = ''
      // Threads beyond the cores only add memory (a tokenizer each), never speed.
      const workers = Math.min(o.workers, Math.max(1, availableParallelism()))
      if (workers < o.workers) io.err(`tracemark: --workers ${o.workers}: starting ${workers}, the cores available\n`)
      const progress = createProgress(io, await inputBytes(inputs, list))
      // SIGINT/SIGTERM: finish the blocks in flight (saved with --resume), stop the workers, exit.
      const stop = new AbortController()
      let signal: NodeJS.Signals | undefined
      const onSignal = (s: NodeJS.Signals) => {
        signal = s
        io.err(`\ntracemark: ${s}: finishing the blocks in flight (a second ${s} kills)\n`)
        stop.abort()
      }
      process.once('SIGINT', onSignal)
      process.once('SIGTERM', onSignal)
      // BullMQ and ioredis are loaded only for --redis: they add ~40 MiB to every process that imports them.
      const runDistributedScan = o.redis ? (await import('../scan/distributed/coordinator.js')).runDistributedScan : null
      const scan = runDistributedScan ? (opts: ScanOptions, sio: ScanIo) => runDistributedScan({ ...opts, redis: o.redis, shardSize: o.shardSize }, sio) : runScan
      let summary: Awaited<ReturnType<typeof runScan>>
      // Records go out a block at a time (the scan flushes after each), not a write per line.
      const out = batched(io.out, OUTPUT_BATCH)
      try {
        summary = await scan(
          {
            inputs,
            list,
            keyTexts,
            format: o.format,
            field: o.field,
            workers,
            outputs: stdoutIdentity(),
            signal: stop.signal,
            fdr: o.fdr,
            fdrDependence: o.fdrDependence,
            alpha: o.alpha,
            accounts: o.accounts ? readRegistry(o.accounts) : undefined,
            resume: o.resume,
            blockSize: o.blockSize,
            report: o.report,
            commonTuples: commonTuplesOption(o.commonTuples),
            scorer: { tokenizerBackend: o.tokenizerBackend as TokenizerBackend, tokenizerFiles: tokenizerFiles(o.tokenizer, keyTexts), ...(o.fullVotes ? { fullVotes: true } : {}), ...(o.decodeBelow !== undefined ? { decodeBelow: o.decodeBelow } : {}) },
          },
          {
            record: (line) => {
              if (evidenceRecords) {
                if (line.startsWith('{"type":"summary"')) evidenceSummary = line
                else evidenceRecords.add(line)
              }
              if (o.json) out.add(`${line}\n`)
              // Only detected documents are printed: the others are not parsed at all.
              else if (line.includes('"detected":true')) {
                const r = JSON.parse(line)
                if (r.type === 'document' && r.detected) out.add(`${formatDocumentLine(r)}\n`)
              }
            },
            flush: () => out.flush(),
            warn: (m) => {
              out.flush()
              progress.clear()
              io.err(`tracemark: ${m}\n`)
            },
            progress: (p) => progress.update(p),
          },
        )
      } catch (e) {
        if (!(e instanceof ScanInterrupted)) throw e
        progress.clear()
        io.err(`tracemark: ${e.message}\n`)
        status = signal === 'SIGTERM' ? 143 : 130
        return
      } finally {
        out.flush()
        process.off('SIGINT', onSignal)
        process.off('SIGTERM', onSignal)
      }
      progress.clear()
      if (evidenceInputs && evidenceRecords) {
        const parameters = {
          format: o.format ?? null, field: o.field, fdr: o.fdr, fdrDependence: o.fdrDependence, alpha: o.alpha, blockSize: o.blockSize,
          commonTuples: commonTuplesOption(o.commonTuples) ?? null, tokenizerBackend: o.tokenizerBackend, fullVotes: !!o.fullVotes,
          decodeBelow: o.decodeBelow ?? null,
        }
        writeScanEvidence(o.evidence, { inputs: evidenceInputs, keys, parameters, accountsFile: o.accounts, records: evidenceRecords.finish(), summary: evidenceSummary })
      }
      if (!o.json) io.out(`${formatSummary(summary)}\n`)
      if (summary.documents === 0) {
        // A missing path or only unreadable inputs is an input error, never a clean verdict.
        io.err(`tracemark: no document could be read from the inputs (${plural(summary.errorCount, 'input error')})\n`)
        status = 2
        return
      }
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
    .option('--walk-start <n>', 'with --served: answer tokens in the first prompt of the walk (default 8)', integerOption('--walk-start', 1, 100_000))
    .option('--walk-step <n>', 'with --served: tokens asked at each point of the walk (default 1: every position of our answers)', integerOption('--walk-step', 1, 1_000))
    .option('--max-tokens <n>', 'tokens per answer (1..32768)', integerOption('--max-tokens', 1, 32_768), 200)
    .option('--budget <n>', 'stop after this many answer tokens (1..10000000)', integerOption('--budget', 1, 10_000_000), 100_000)
    .option('--temperature <t>', 'sampling temperature requested, 0..2 (near-mode answers carry more of what the suspect learned)', numberOption('--temperature', 0, 2), PROBE_TEMPERATURE)
    .option('--chat', 'use /v1/chat/completions instead of /v1/completions')
    .option('--model <name>', 'model name to request (default: the first one /v1/models lists)')
    .option('--tokenizer <path>', "the key's tokenizer.json (required for a key made from one)")
    .option('--concurrency <n>', 'requests in flight (1..64)', integerOption('--concurrency', 1, 64), 4)
    .option('--timeout <seconds>', 'give up on a request with no complete answer after this long (not retried)', numberOption('--timeout', 0, 3600, { min: true }), DEFAULT_TIMEOUT_MS / 1000)
    .option('--alpha <a>', 'significance level', probability, 1e-6)
    .option('--accounts <file>', 'registry of account numbers for fingerprint attribution')
    .option('--json', 'print one JSON object')
    .option('--evidence <dir>', 'write an evidence bundle (every prompt and answer) for tracemark verify')
    .action(async (o) => {
      if (o.evidence) assertNewBundle(o.evidence)
      const key = readKeyFile(o.key, keyWarnings)
      // Checked before any request: a wrong or missing tokenizer must not cost a budget of answers.
      tokenizerForKey(key.spec, o.tokenizer)
      const served = o.served ? readServed(o.served) : undefined
      const prompts = o.prompts ? readPrompts(o.prompts) : served ? undefined : [...DEFAULT_PROBE_PROMPTS]
      const accounts = o.accounts ? readRegistry(o.accounts) : undefined
      const endpoint = displayEndpoint(o.endpoint) // never the user:password of a URL
      const progress = createTaskProgress(io, { total: o.budget, unit: 'tokens' })
      const interrupt = interruptOnSignals()
      let answers: ProbeAnswer[] = []
      try {
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
          timeoutMs: o.timeout * 1000,
          alpha: o.alpha,
          accounts,
          tokenizer: { tokenizer: o.tokenizer },
          signal: interrupt.signal,
          onProgress: (p) => progress.update(p.tokens, plural(p.answers, 'answer')),
          onAnswers: (got) => void (answers = got),
        })
        progress.clear()
        if (await interrupt.interrupted()) throw new Error('interrupted while scoring')
        if (o.evidence) {
          // The endpoint as displayed: a bundle never records the user:password of a URL.
          const parameters = {
            endpoint, model: o.model ?? null, chat: !!o.chat, temperature: o.temperature, maxTokens: o.maxTokens, budget: o.budget, alpha: o.alpha,
          }
          writeProbeEvidence(o.evidence, { answers, key, parameters, accountsFile: o.accounts, result: r })
        }
        io.out(o.json ? `${JSON.stringify({ endpoint, ...r })}\n` : `${formatProbe(r, endpoint)}\n`)
        status = r.radioactive ? 0 : 1
      } catch (e) {
        progress.clear()
        const stopped = interrupt.exitStatus()
        if (stopped === undefined) throw new Error(`probe of ${endpoint} failed, no verdict: ${(e as Error).message}`)
        io.err(`tracemark: probe stopped by ${interrupt.received()}; no verdict\n`)
        status = stopped
      } finally {
        interrupt.dispose()
      }
    })

  addEvidenceCommands(program, io, (s) => (status = s))

  program
    .command('worker')
    .description('process distributed scan shards from a Redis queue until interrupted (SIGINT/SIGTERM finish the active shards)')
    .requiredOption('--redis <url>', 'Redis URL, e.g. redis://127.0.0.1:6379 (loopback or a trusted network: shards carry key files)')
    .option('--concurrency <n>', 'shards at once and scoring threads (default: all cores)', integerOption('--concurrency', 1, 1024))
    .action(async (o) => {
      const stop = new AbortController()
      const onSignal = () => stop.abort()
      process.once('SIGINT', onSignal)
      process.once('SIGTERM', onSignal)
      const { runScanWorker } = await import('../scan/distributed/worker.js')
      await runScanWorker(o.redis, { concurrency: o.concurrency, signal: stop.signal, log: (m) => io.err(`${m}\n`) })
      status = 0
    })

  try {
    await program.parseAsync(argv, { from: 'user' })
    return status
  } catch (e) {
    const err = e as Error & { code?: string; exitCode?: number }
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0
    if (typeof err.code === 'string' && err.code.startsWith('commander.')) return 2 // commander already printed the message
    // Messages can carry text from files and servers: shown only as printable text.
    io.err(`tracemark: ${printable(String(err?.message ?? err), 2000)}\n`)
    return 2
  }
}
