import { createHash } from 'node:crypto'
import { closeSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { WatermarkKey } from '@tracemark/watermark'
import type { DetectionResult } from '../detect.js'
import type { ProbeAnswer, ProbeResult } from '../probe/probe.js'
import { cannotRead } from '../scan/sources/errors.js'
import { isS3, listS3, type S3Lister } from '../scan/sources/s3.js'
import { walkDirectory } from '../scan/sources/walk.js'
import { asJson } from './diff.js'
import { bundleFile, RECORDS_FILE, writeEvidence, type EvidenceBundle, type EvidenceInput } from './bundle.js'
import { sha256File } from './hash.js'
import { batched } from '../batched.js'

/** In-bundle names of the copied inputs. */
export const BUNDLE_NAMES = { text: 'input.txt', answers: 'answers.jsonl', accounts: 'accounts.txt' } as const

const publicKeys = (keys: WatermarkKey[]) => keys.map((k) => ({ keyId: k.keyId, spec: k.spec }))

/** Copies an account registry into the bundle: attribution depends on exactly that list. */
function accountsInput(dir: string, accountsFile: string | undefined): EvidenceInput[] {
  return accountsFile ? [bundleFile(dir, BUNDLE_NAMES.accounts, new Uint8Array(readFileSync(accountsFile)), 'accounts', accountsFile)] : []
}

/**
 * Evidence of `tracemark detect`: the text as tested (UTF-8) is copied into the
 * bundle, since it is the evidence and may have come from standard input.
 */
export function writeDetectEvidence(
  dir: string,
  o: { text: string; source: string; key: WatermarkKey; parameters: Record<string, unknown>; accountsFile?: string; result: DetectionResult },
): EvidenceBundle {
  const inputs = [bundleFile(dir, BUNDLE_NAMES.text, o.text, 'text', o.source), ...accountsInput(dir, o.accountsFile)]
  return writeEvidence(dir, {
    command: 'detect',
    keys: publicKeys([o.key]),
    parameters: { ...o.parameters, accounts: o.accountsFile ? BUNDLE_NAMES.accounts : null },
    nullHypothesis: o.result.nullHypothesis,
    inputs,
    records: [{ input: BUNDLE_NAMES.text, ...(asJson(o.result) as Record<string, unknown>) }],
  })
}

/** Evidence of `tracemark probe`: every prompt and answer, which are the evidence, one JSON object per line. */
export function writeProbeEvidence(
  dir: string,
  o: { answers: readonly ProbeAnswer[]; key: WatermarkKey; parameters: Record<string, unknown>; accountsFile?: string; result: ProbeResult },
): EvidenceBundle {
  const lines = o.answers.map((a) => `${JSON.stringify({ prompt: a.prompt, text: a.text, ...(a.round !== undefined ? { round: a.round } : {}) })}\n`).join('')
  const inputs = [bundleFile(dir, BUNDLE_NAMES.answers, lines, 'answers', String(o.parameters.endpoint ?? 'endpoint')), ...accountsInput(dir, o.accountsFile)]
  return writeEvidence(dir, {
    command: 'probe',
    keys: publicKeys([o.key]),
    parameters: { ...o.parameters, accounts: o.accountsFile ? BUNDLE_NAMES.accounts : null },
    nullHypothesis: o.result.nullHypothesis,
    inputs,
    records: [asJson(o.result) as Record<string, unknown>],
  })
}

/**
 * The files a scan of `inputs` reads, in its order, as the scan names them
 * (directories expanded exactly as the scan expands them), each with its
 * absolute path (or `s3://` URL) and SHA-256. A corpus is referenced, not copied: verify re-reads
 * it. Standard input and unreadable paths are refused, since no one could
 * re-read them.
 */
export async function corpusInputs(inputs: string[], list: S3Lister = listS3): Promise<EvidenceInput[]> {
  const files: string[] = []
  for (const input of inputs) {
    if (input === '-') throw new Error('--evidence: standard input cannot be re-read by a verifier; save it to a file and scan that')
    if (isS3(input)) {
      try {
        for (const o of await list(input)) files.push(o.url)
      } catch (e) {
        throw new Error(`--evidence: ${input}: ${cannotRead(e)} (evidence can only reference inputs that exist)`)
      }
      continue
    }
    let dir = false
    try {
      dir = statSync(input).isDirectory()
    } catch (e) {
      throw new Error(`--evidence: cannot read ${input}: ${(e as NodeJS.ErrnoException).code ?? 'error'} (evidence can only reference inputs that exist)`)
    }
    if (!dir) files.push(input)
    else for await (const entry of walkDirectory(input)) if (entry.error === undefined) files.push(entry.file)
  }
  const out: EvidenceInput[] = []
  // An object's URL is already absolute; the verifier reads it with its own credentials.
  for (const f of files) out.push({ role: 'corpus', file: isS3(f) ? f : resolve(f), inBundle: false, source: f, ...(await sha256File(f)) })
  return out
}

/** The scan summary without its wall-clock time, which no one can recompute. */
export function scanSummaryRecord(line: Record<string, unknown>): Record<string, unknown> {
  const { seconds: _seconds, ...rest } = line
  return rest
}

/** Bytes of record lines buffered before a write. */
const RECORDS_BUFFER = 1 << 20

/** A scan's records file being written, see {@link openScanRecords}. */
export interface ScanRecordsWriter {
  /** Appends one emitted record line (a document or an error; the summary goes to evidence.json). */
  add(line: string): void
  /** Closes the file and returns it as the bundle's `records` input (hashed as written). */
  finish(): EvidenceInput
}

/**
 * The records file of a scan's evidence, written as the scan emits its records: a
 * scan of terabytes emits billions, so they go to the bundle a line at a time, never
 * into memory. The lines are the NDJSON records exactly as the scan printed them.
 */
export function openScanRecords(dir: string): ScanRecordsWriter {
  mkdirSync(dir, { recursive: true })
  const path = join(dir, RECORDS_FILE)
  // A records file without evidence.json is what an interrupted scan left: replaced.
  const fd = openSync(path, 'w')
  // Hashed as written: reading a terabyte-scale file back to hash it would be a second pass.
  const hash = createHash('sha256')
  let bytes = 0
  const out = batched((s) => {
    const data = utf8.encode(s)
    for (let done = 0; done < data.length; ) done += writeSync(fd, data, done)
    hash.update(data)
    bytes += data.length
  }, RECORDS_BUFFER)
  return {
    add(line) {
      out.add(`${line}\n`)
    },
    finish() {
      out.flush()
      closeSync(fd)
      return { role: 'records', file: RECORDS_FILE, inBundle: true, source: RECORDS_FILE, sha256: hash.digest('hex'), bytes }
    },
  }
}

const utf8 = new TextEncoder()

/**
 * Evidence of `tracemark scan` (bundle version 2): the corpus by path and hash, the
 * records file by hash, and the summary.
 */
export function writeScanEvidence(
  dir: string,
  o: { inputs: EvidenceInput[]; keys: WatermarkKey[]; parameters: Record<string, unknown>; accountsFile?: string; records: EvidenceInput; summary: string },
): EvidenceBundle {
  const nullHypothesis =
    'no scanned document depends on any of the keys: each document\'s p-value (corrected for the number of keys) is uniform or larger; ' +
    'the flagged set controls the false-discovery rate at parameters.fdr'
  return writeEvidence(dir, {
    command: 'scan',
    keys: publicKeys(o.keys),
    parameters: { ...o.parameters, accounts: o.accountsFile ? BUNDLE_NAMES.accounts : null },
    nullHypothesis,
    inputs: [...o.inputs, o.records, ...accountsInput(dir, o.accountsFile)],
    records: [scanSummaryRecord(JSON.parse(o.summary) as Record<string, unknown>)],
  })
}
