import { closeSync, fstatSync, openSync } from 'node:fs'
import { join } from 'node:path'
import { serializeKey, type WatermarkKey } from '@tracemark/watermark'
import { detect } from '../detect.js'
import { readRegistry, readTextInput } from '../cli/input.js'
import { scoreProbeAnswers } from '../probe/probe.js'
import { isDecodeGate } from '../scan/race-test.js'
import { runScan } from '../scan/run.js'
import { describeLocation } from '../scan/types.js'
import { TOKENIZER_BACKENDS, TOKENIZER_NAMES, type TokenizerBackend, type TokenizerName } from '../text/tokenizer.js'
import { readEvidence, EVIDENCE_FILE, RECORDS_FILE, type EvidenceBundle, type EvidenceInput } from './bundle.js'
import { linesOf } from '../file-lines.js'
import { commitmentDifference, type KeyCommitment } from './commitment.js'
import { asJson, firstDifference } from './diff.js'
import { sha256File } from './hash.js'
import { scanSummaryRecord } from './make.js'
import { checkSignature } from './sign.js'

/** One line of a verification: what was checked, and whether it is identical. */
export interface VerifyCheck {
  what: string
  identical: boolean
  /** The first difference, when not identical. */
  detail?: string
}

export interface VerifyReport {
  command: EvidenceBundle['command']
  /** True only when every check is identical. */
  identical: boolean
  checks: VerifyCheck[]
  /** The first difference found, or null. */
  firstDifference: string | null
}

export interface VerifyOptions {
  /** Published key commitments the keys must match. */
  commitments?: Array<{ file: string; commitment: KeyCommitment }>
  /** Hex Ed25519 public key the bundle must be signed with. */
  signer?: string
  /** Worker threads for re-scanning a scan's corpus (default 1). */
  workers?: number
}

/**
 * Recomputes every figure of an evidence bundle from its inputs and the keys,
 * and compares it with the bundle. Throws (an input error) only when the bundle
 * is malformed; differences are reported, not thrown.
 */
export async function verifyBundle(dir: string, keys: WatermarkKey[], o: VerifyOptions = {}): Promise<VerifyReport> {
  const { bundle, bytes } = readEvidence(dir)
  const checks: VerifyCheck[] = []
  const check = (what: string, detail: string | null) => checks.push(detail ? { what, identical: false, detail } : { what, identical: true })

  // The keys: each key named in the bundle must be given, with the same spec.
  const used: WatermarkKey[] = []
  for (const [i, k] of bundle.keys.entries()) {
    const key = keys.find((x) => x.keyId === k.keyId)
    if (!key) {
      check(`key ${k.keyId}`, `keys[${i}]: the bundle was made with ${k.keyId}, the key file(s) given are ${keys.map((x) => x.keyId).join(', ')}`)
      continue
    }
    const spec = firstDifference(k.spec, key.spec, `keys[${i}].spec`)
    check(`key ${k.keyId}`, spec && spec.replace('recomputed', 'key file'))
    used.push(key)
  }
  for (const { file, commitment } of o.commitments ?? []) {
    const key = keys.find((x) => x.keyId === commitment.keyId) ?? keys[0]
    check(`commitment ${file}`, commitmentDifference(commitment, key))
  }
  const sig = checkSignature(dir, bytes, o.signer)
  if (sig) check(sig.what, sig.detail)

  // The inputs, by SHA-256.
  for (const [i, input] of bundle.inputs.entries()) {
    const path = inputPath(dir, input)
    let detail: string | null = null
    try {
      const h = await sha256File(path)
      if (h.sha256 !== input.sha256) detail = `inputs[${i}] ${input.source}: SHA-256 ${h.sha256.slice(0, 16)}... differs from the bundle's ${input.sha256.slice(0, 16)}... (the input changed)`
    } catch (e) {
      detail = `inputs[${i}]: ${(e as Error).message}`
    }
    check(`input ${input.source}`, detail)
  }

  const keysReady = used.length === bundle.keys.length
  const readable = checks.every((c) => c.identical || !c.what.startsWith('input ') || !c.detail?.includes('cannot read'))
  if (keysReady && readable) {
    // Version 2: documents and errors from the records file, the summary from evidence.json.
    const fromFile = bundle.version === 2 ? fileRecords(dir, bundle) : null
    const inline = bundle.records[Symbol.iterator]()
    const drain = (it: Iterator<Record<string, unknown>>) => {
      for (let next = it.next(); !next.done; next = it.next()) compare(undefined, next.value)
    }
    let i = 0
    let same = 0
    let differing = 0
    const compare = (theirs: Record<string, unknown> | undefined, m: Record<string, unknown> | undefined) => {
      const what = `record ${i + 1} (${recordName(m ?? theirs!)})`
      const detail = !m
        ? `records[${i}]: missing from the bundle, recomputed ${JSON.stringify(theirs).slice(0, 60)}`
        : !theirs
          ? `records[${i}]: in the bundle but not recomputed`
          : firstDifference(m, theirs, `records[${i}]`)
      i++
      // A version-2 bundle's records file may hold billions: one line for the identical
      // ones, one per difference up to a hundred, then a count.
      if (bundle.version === 2 && m?.type !== 'summary' && theirs?.type !== 'summary') {
        if (!detail) return void same++
        if (++differing > DIFFERENCES_LISTED) return
      }
      check(what, detail)
    }
    await recompute(dir, bundle, used, o, (theirs) => {
      if (fromFile && theirs.type === 'summary') drain(fromFile)
      const next = (fromFile && theirs.type !== 'summary' ? fromFile : inline).next()
      compare(theirs, next.done ? undefined : next.value)
    })
    if (fromFile) drain(fromFile)
    drain(inline)
    if (bundle.version === 2) {
      check(`${RECORDS_FILE}: ${same} identical records`, null)
      if (differing > DIFFERENCES_LISTED) check(`${RECORDS_FILE}: ${differing - DIFFERENCES_LISTED} more records differ`, `${differing} records differ in all`)
    }
  } else {
    check('records', 'not recomputed: ' + (keysReady ? 'an input cannot be read' : 'the key(s) of the bundle were not given'))
  }
  const first = checks.find((c) => !c.identical)
  return { command: bundle.command, identical: !first, checks, firstDifference: first ? first.detail! : null }
}

/** Differing records of a version-2 bundle reported one by one; the rest are counted. */
const DIFFERENCES_LISTED = 100

/**
 * The records of a version-2 bundle's records file, a line at a time. A line that is
 * not a JSON object is given as one that differs from any recomputed record.
 */
function* fileRecords(dir: string, b: EvidenceBundle): Generator<Record<string, unknown>> {
  const file = b.inputs.find((x) => x.role === 'records')!
  const fd = openSync(inputPath(dir, file), 'r')
  try {
    for (const { line } of linesOf(fd, 0, fstatSync(fd).size)) {
      let r: unknown
      try {
        r = JSON.parse(line)
      } catch {
        r = null
      }
      yield r && typeof r === 'object' && !Array.isArray(r) ? (r as Record<string, unknown>) : { unreadable: line.slice(0, 60) }
    }
  } finally {
    closeSync(fd)
  }
}

function inputPath(dir: string, input: EvidenceInput): string {
  return input.inBundle ? join(dir, input.file) : input.file
}

function recordName(r: Record<string, unknown>): string {
  if (r.type === 'summary') return 'scan summary'
  if (typeof r.file === 'string') return describeLocation(r as { file: string })
  if (typeof r.input === 'string') return r.input
  return typeof r.radioactive === 'boolean' ? 'probe answers' : 'result'
}

/** A parameter of the bundle, checked: a malformed bundle is an input error naming the field. */
function param<T>(b: EvidenceBundle, name: string, ok: (v: unknown) => boolean, what: string): T {
  const v = b.parameters[name]
  if (!ok(v)) throw new Error(`${EVIDENCE_FILE}: "parameters.${name}" must be ${what}`)
  return v as T
}
const isProbability = (v: unknown) => typeof v === 'number' && v > 0 && v < 1
const optional = (test: (v: unknown) => boolean) => (v: unknown) => v === undefined || v === null || test(v)

function accountsOf(dir: string, b: EvidenceBundle): number[] | undefined {
  const file = param<string | null>(b, 'accounts', optional((v) => typeof v === 'string'), 'a file in the bundle or null')
  if (!file) return undefined
  if (!b.inputs.some((i) => i.inBundle && i.file === file)) throw new Error(`${EVIDENCE_FILE}: "parameters.accounts" names ${file}, which is not among the inputs`)
  return readRegistry(join(dir, file))
}

function onlyInput(b: EvidenceBundle, role: EvidenceInput['role']): EvidenceInput {
  const found = b.inputs.filter((i) => i.role === role && i.inBundle)
  if (found.length !== 1) throw new Error(`${EVIDENCE_FILE}: "inputs" must hold exactly one ${role} file in the bundle`)
  return found[0]
}

/** The records the bundle's command gives today for the same inputs, keys and parameters. */
async function recompute(dir: string, b: EvidenceBundle, keys: WatermarkKey[], o: VerifyOptions, each: (r: Record<string, unknown>) => void): Promise<void> {
  const alpha = param<number>(b, 'alpha', isProbability, 'a number in (0, 1)')
  const accounts = accountsOf(dir, b)
  if (b.command === 'detect') {
    const input = onlyInput(b, 'text')
    const r = detect(readTextInput(join(dir, input.file)), keys[0], {
      alpha,
      tokenizer: param<TokenizerName | null>(b, 'tokenizer', optional((v) => TOKENIZER_NAMES.includes(v as TokenizerName)), `one of ${TOKENIZER_NAMES.join(', ')} or null`) ?? undefined,
      tokenizerBackend: param<TokenizerBackend>(b, 'tokenizerBackend', (v) => TOKENIZER_BACKENDS.includes(v as TokenizerBackend), `one of ${TOKENIZER_BACKENDS.join(', ')}`),
      normalize: param<boolean>(b, 'normalize', (v) => typeof v === 'boolean', 'true or false') ? undefined : false,
      accounts,
    })
    return each({ input: input.file, ...(asJson(r) as Record<string, unknown>) })
  }
  if (b.command === 'probe') {
    const input = onlyInput(b, 'answers')
    const answers = readTextInput(join(dir, input.file))
      .split('\n')
      .filter((l) => l !== '')
      .map((l, i) => {
        let v: { prompt?: unknown; text?: unknown; round?: unknown } | null = null
        try {
          v = JSON.parse(l)
        } catch {
          // reported below
        }
        if (!v || typeof v.prompt !== 'string' || typeof v.text !== 'string' || (v.round !== undefined && !Number.isInteger(v.round))) {
          throw new Error(`${join(dir, input.file)}:${i + 1}: expected {"prompt": string, "text": string} (and an integer "round" for a walk)`)
        }
        return { prompt: v.prompt, text: v.text, ...(v.round !== undefined ? { round: v.round as number } : {}) }
      })
    return each(asJson(scoreProbeAnswers(keys[0], answers, { alpha, accounts })) as Record<string, unknown>)
  }
  // scan: re-read the corpus where it is, under the names the scan gave it.
  const corpus = b.inputs.filter((i) => i.role === 'corpus')
  const names = new Map(corpus.map((i) => [i.file, i.source]))
  const rename = <T extends { file?: unknown }>(r: T): T => (typeof r.file === 'string' && names.has(r.file) ? { ...r, file: names.get(r.file) } : r)
  const commonTuples = param<number | false | null>(b, 'commonTuples', optional((v) => v === false || isProbability(v)), 'a fraction, false or null')
  await runScan(
    {
      inputs: corpus.map((i) => i.file),
      keyTexts: keys.map((k) => serializeKey(k)),
      format: param(b, 'format', optional((v) => ['jsonl', 'parquet', 'text'].includes(v as string)), 'jsonl, parquet, text or null') ?? undefined,
      field: param<string>(b, 'field', (v) => typeof v === 'string', 'a string'),
      workers: o.workers ?? 1,
      fdr: param<number>(b, 'fdr', isProbability, 'a number in (0, 1)'),
      fdrDependence: param(b, 'fdrDependence', (v) => v === 'positive' || v === 'arbitrary', 'positive or arbitrary'),
      alpha,
      accounts,
      blockSize: param<number>(b, 'blockSize', (v) => Number.isInteger(v) && (v as number) > 0, 'a positive integer'),
      commonTuples: commonTuples ?? undefined,
      scorer: {
        tokenizerBackend: param<TokenizerBackend>(b, 'tokenizerBackend', (v) => TOKENIZER_BACKENDS.includes(v as TokenizerBackend), `one of ${TOKENIZER_BACKENDS.join(', ')}`),
        // Absent in bundles written before the option: quick votes exist only for ordered-draw keys, which are as new.
        fullVotes: param<boolean | null>(b, 'fullVotes', optional((v) => typeof v === 'boolean'), 'true, false or null') === true,
        // Absent in bundles written before the option: those scans used the default gate.
        decodeBelow: param<number | null>(b, 'decodeBelow', optional(isDecodeGate), 'a number in (0, 1] or null') ?? undefined,
      },
    },
    {
      record: (line) => {
        const r = JSON.parse(line) as Record<string, unknown>
        if (r.type !== 'summary') return each(rename(r))
        const s = scanSummaryRecord(r)
        each({ ...s, errors: (s.errors as Array<{ file?: unknown }>).map(rename) })
      },
      warn: () => {},
    },
  )
}
