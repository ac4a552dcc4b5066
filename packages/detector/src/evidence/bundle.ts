import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { WatermarkSpec } from '@tracemark/watermark'
import { sha256Hex } from './hash.js'
import { TOOL } from './version.js'

/** The file in a bundle directory that holds the claim; everything else it names by SHA-256. */
export const EVIDENCE_FILE = 'evidence.json'
const FORMAT = 'tracemark-evidence'

export type EvidenceCommand = 'detect' | 'scan' | 'probe'

/**
 * One input of the evidence. `file` is inside the bundle when `inBundle` (a
 * detected text, a probe's prompts and answers, an account registry), else the
 * scanned file's absolute path, which verify re-reads: a corpus is referenced,
 * never copied.
 */
export interface EvidenceInput {
  /** `records`: a scan's document and error records, one JSON object per line, in scan order (version 2). */
  role: 'text' | 'answers' | 'accounts' | 'corpus' | 'records'
  file: string
  inBundle: boolean
  /** How the command named the input (a path, or "standard input"). */
  source: string
  sha256: string
  bytes: number
}

/** The content of `evidence.json`. */
export interface EvidenceBundle {
  format: typeof FORMAT
  /**
   * 1: every record in `records`. 2 (scans): the document and error records in the
   * bundle's `records` input file, which can be far larger than memory; `records`
   * holds the summary.
   */
  version: 1 | 2
  command: EvidenceCommand
  tool: { name: string; version: string }
  /** ISO 8601 time the evidence was made. */
  created: string
  /** Public identity of every key tested: keyId and spec, never the secret. */
  keys: Array<{ keyId: string; spec: WatermarkSpec }>
  /** Every option that decides a figure. */
  parameters: Record<string, unknown>
  /** The null hypothesis each p-value is computed under, in words. */
  nullHypothesis: string
  inputs: EvidenceInput[]
  /** The figures: one object per text / document / probe (and the scan summary last; version 2: the summary alone). */
  records: Array<Record<string, unknown>>
}

/** The parts a command supplies; format, version, tool and time are filled in. */
export type EvidenceContent = Omit<EvidenceBundle, 'format' | 'version' | 'tool' | 'created'>

/** The in-bundle file of a version-2 scan bundle's records. */
export const RECORDS_FILE = 'records.ndjson'

/**
 * Refuses a directory that already holds a bundle, before any work is done: files
 * of an older bundle (a signature, an account list) must never mix with a new one.
 */
export function assertNewBundle(dir: string): void {
  if (existsSync(join(dir, EVIDENCE_FILE))) throw new Error(`--evidence: ${dir} already holds an evidence bundle; choose a new directory`)
}

/** Writes a file into the bundle and returns it as an input entry (hashed as written). */
export function bundleFile(dir: string, name: string, data: string | Uint8Array, role: EvidenceInput['role'], source: string): EvidenceInput {
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, name), data)
  return { role, file: name, inBundle: true, source, sha256: sha256Hex(data), bytes: typeof data === 'string' ? Buffer.byteLength(data) : data.length }
}

/** Writes `evidence.json` into `dir` (created if needed). */
export function writeEvidence(dir: string, content: EvidenceContent, now = new Date()): EvidenceBundle {
  const version = content.inputs.some((i) => i.role === 'records') ? 2 : 1
  const bundle: EvidenceBundle = { format: FORMAT, version, tool: { ...TOOL }, created: now.toISOString(), ...content }
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, EVIDENCE_FILE), `${JSON.stringify(bundle, null, 2)}\n`)
  return bundle
}

/**
 * Reads and checks the shape of `dir/evidence.json`. A malformed bundle is an
 * input error naming the file and field, not a difference: nothing can be
 * recomputed from it.
 */
export function readEvidence(dir: string): { bundle: EvidenceBundle; bytes: Uint8Array } {
  const file = join(dir, EVIDENCE_FILE)
  let bytes: Uint8Array
  try {
    bytes = new Uint8Array(readFileSync(file))
  } catch (e) {
    throw new Error(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`)
  }
  let o: unknown
  try {
    o = JSON.parse(new TextDecoder().decode(bytes))
  } catch {
    throw new Error(`${file}: not JSON`)
  }
  const bad = (field: string, why: string): never => {
    throw new Error(`${file}: "${field}" ${why}`)
  }
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new Error(`${file}: not a JSON object`)
  const b = o as Record<string, unknown>
  if (b.format !== FORMAT) bad('format', `must be "${FORMAT}"`)
  if (b.version !== 1 && b.version !== 2) bad('version', 'is not supported (this build reads versions 1 and 2)')
  if (b.command !== 'detect' && b.command !== 'scan' && b.command !== 'probe') bad('command', 'must be detect, scan or probe')
  const tool = b.tool as Record<string, unknown> | null
  if (!tool || typeof tool !== 'object' || typeof tool.version !== 'string') bad('tool', 'must name the tool and its version')
  if (typeof b.created !== 'string' || Number.isNaN(Date.parse(b.created))) bad('created', 'must be an ISO date')
  if (!Array.isArray(b.keys) || b.keys.length === 0) bad('keys', 'must be a non-empty array')
  ;(b.keys as unknown[]).forEach((k, i) => {
    const x = k as Record<string, unknown> | null
    if (!x || typeof x.keyId !== 'string') bad(`keys[${i}].keyId`, 'is missing')
    if (!x!.spec || typeof x!.spec !== 'object') bad(`keys[${i}].spec`, 'is missing')
  })
  if (!b.parameters || typeof b.parameters !== 'object' || Array.isArray(b.parameters)) bad('parameters', 'must be an object')
  if (typeof b.nullHypothesis !== 'string') bad('nullHypothesis', 'must be a string')
  if (!Array.isArray(b.inputs)) bad('inputs', 'must be an array')
  ;(b.inputs as unknown[]).forEach((x, i) => {
    const e = x as Record<string, unknown> | null
    if (!e || typeof e !== 'object') bad(`inputs[${i}]`, 'must be an object')
    if (!['text', 'answers', 'accounts', 'corpus', 'records'].includes(e!.role as string)) bad(`inputs[${i}].role`, 'must be text, answers, accounts, corpus or records')
    if (typeof e!.file !== 'string' || e!.file === '') bad(`inputs[${i}].file`, 'must be a path')
    if (e!.inBundle && /(^|[\\/])\.\.([\\/]|$)|^[\\/]/.test(e!.file as string)) bad(`inputs[${i}].file`, 'must stay inside the bundle')
    if (typeof e!.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(e!.sha256)) bad(`inputs[${i}].sha256`, 'must be 64 hex digits')
    if (typeof e!.bytes !== 'number') bad(`inputs[${i}].bytes`, 'must be a number')
  })
  const recordFiles = (b.inputs as EvidenceInput[]).filter((x) => x.role === 'records')
  if (b.version === 2 && (b.command !== 'scan' || recordFiles.length !== 1 || !recordFiles[0].inBundle)) bad('inputs', 'of a version-2 bundle must hold one records file in the bundle (scans only)')
  if (b.version === 1 && recordFiles.length > 0) bad('inputs', 'of a version-1 bundle hold no records file')
  if (!Array.isArray(b.records)) bad('records', 'must be an array')
  ;(b.records as unknown[]).forEach((r, i) => {
    if (!r || typeof r !== 'object' || Array.isArray(r)) bad(`records[${i}]`, 'must be an object')
  })
  return { bundle: b as unknown as EvidenceBundle, bytes }
}
