/**
 * Binary model files: one file `model.bin` =
 *
 *     bytes 0..7    magic "TMKNLM\0\x01"
 *     bytes 8..11   header length H (uint32, little-endian)
 *     bytes 12..    H bytes of UTF-8 JSON header, zero-padded to a multiple of 8
 *     then          the typed arrays, each starting at an 8-byte-aligned offset
 *
 * The header holds the scalars (order, vocabSize, bos, eot, tokenizer, discounts as
 * JSON numbers, which round-trip doubles exactly, stats, caller metadata) and, per
 * array, its name, element type, offset (from the start of the file) and length. Stored:
 * the trie (tokens, counts, childStart: uint32) and the per-node tables derived from it
 * (contextGamma, nodeProb, nodeLogProb: float32), so loading is reading plus wrapping
 * typed-array views, with no computation but the 100k-entry unigram tables. A loaded
 * model is bit-identical to the saved one. Little-endian hosts only.
 *
 * Files are written to a temporary name in the same directory and renamed into place,
 * so a reader never sees a partial file, even with concurrent writers.
 */
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs'
import { endianness } from 'node:os'
import { join } from 'node:path'
import { finalizeModel, type DerivedTables, type NgramLevel, type NgramModel } from './ngram.js'

/** Bump when the file layout or the meaning of stored counts changes. */
export const MODEL_FORMAT_VERSION = 2
export const MODEL_FILE_NAME = 'model.bin'
const MAGIC = new Uint8Array([0x54, 0x4d, 0x4b, 0x4e, 0x4c, 0x4d, 0x00, 0x01]) // "TMKNLM\0\1"

type ArrayType = 'u32' | 'f32'
type Stored = Uint32Array | Float32Array

interface ArrayEntry {
  name: string
  type: ArrayType
  offset: number
  length: number
}

interface Header {
  format: 'tracemark-ngram-mkn'
  version: number
  order: number
  vocabSize: number
  bos: number
  eot: number
  tokenizer: string
  discounts: number[]
  stats: NgramModel['stats']
  meta: Record<string, unknown>
  arrays: ArrayEntry[]
  fileSize: number
}

function checkHost(): void {
  if (endianness() !== 'LE') throw new Error('model files are little-endian; this host is big-endian')
}

const align8 = (n: number) => (n + 7) & ~7

/** Write a model to a file path (atomically: temp file + rename). Returns the file size. */
export function saveModelFile(model: NgramModel, path: string, meta: Record<string, unknown> = model.meta ?? {}): number {
  checkHost()
  const arrays: { name: string; data: Stored }[] = []
  model.levels.forEach((lv, i) => {
    const d = i + 1
    arrays.push({ name: `tokens.${d}`, data: lv.tokens }, { name: `counts.${d}`, data: lv.counts })
    if (lv.childStart) arrays.push({ name: `childStart.${d}`, data: lv.childStart }, { name: `gamma.${d}`, data: model.contextGamma[i] })
    arrays.push({ name: `prob.${d}`, data: model.nodeProb[i] }, { name: `logprob.${d}`, data: model.nodeLogProb[i] })
  })
  const header: Header = {
    format: 'tracemark-ngram-mkn',
    version: MODEL_FORMAT_VERSION,
    order: model.order,
    vocabSize: model.vocabSize,
    bos: model.bos,
    eot: model.eot,
    tokenizer: model.tokenizer,
    discounts: Array.from(model.discounts),
    stats: model.stats,
    meta,
    arrays: [],
    fileSize: 0,
  }
  // The header's length depends on the offsets it lists: iterate until it is stable.
  const utf8 = new TextEncoder()
  let headerBytes = new Uint8Array(0)
  for (let pass = 0; pass < 5; pass++) {
    let offset = align8(12 + headerBytes.length)
    header.arrays = arrays.map((a) => {
      const e: ArrayEntry = { name: a.name, type: a.data instanceof Float32Array ? 'f32' : 'u32', offset, length: a.data.length }
      offset = align8(offset + a.data.byteLength)
      return e
    })
    header.fileSize = offset
    const next = utf8.encode(JSON.stringify(header))
    if (next.length === headerBytes.length) {
      headerBytes = next
      break
    }
    headerBytes = next
  }
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`
  const fd = openSync(tmp, 'w')
  try {
    const head = new Uint8Array(align8(12 + headerBytes.length))
    head.set(MAGIC, 0)
    new DataView(head.buffer).setUint32(8, headerBytes.length, true)
    head.set(headerBytes, 12)
    let pos = 0
    pos += writeSync(fd, head, 0, head.length, pos)
    const pad = new Uint8Array(8)
    arrays.forEach((a, i) => {
      const e = header.arrays[i]
      if (pos !== e.offset) throw new Error('internal: model file layout mismatch')
      const bytes = new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength)
      let done = 0
      while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, pos + done)
      pos += bytes.length
      const padLen = align8(pos) - pos
      if (padLen) pos += writeSync(fd, pad, 0, padLen, pos)
    })
    if (pos !== header.fileSize) throw new Error('internal: model file size mismatch')
  } catch (e) {
    closeSync(fd)
    rmSync(tmp, { force: true })
    throw e
  }
  closeSync(fd)
  renameSync(tmp, path)
  return header.fileSize
}

/** Read a model file written by saveModelFile. */
export function loadModelFile(path: string): NgramModel {
  checkHost()
  const file = readFileSync(path)
  const buf = new Uint8Array(file.buffer as ArrayBuffer, file.byteOffset, file.byteLength)
  if (buf.length < 12 || MAGIC.some((b, i) => buf[i] !== b)) throw new Error(`${path}: not a tracemark n-gram model file`)
  const hlen = new DataView(buf.buffer, buf.byteOffset, 12).getUint32(8, true)
  const header = JSON.parse(new TextDecoder().decode(buf.subarray(12, 12 + hlen))) as Header
  if (header.format !== 'tracemark-ngram-mkn' || header.version !== MODEL_FORMAT_VERSION) {
    throw new Error(`${path}: model format ${header.format} v${header.version}, expected v${MODEL_FORMAT_VERSION}`)
  }
  if (header.fileSize !== buf.length) throw new Error(`${path}: truncated or corrupt (size ${buf.length}, expected ${header.fileSize})`)
  const byName = new Map<string, ArrayEntry>()
  for (const e of header.arrays) byName.set(e.name, e)
  const view = <T extends Stored>(name: string, type: ArrayType): T => {
    const e = byName.get(name)
    if (!e || e.type !== type) throw new Error(`${path}: missing array ${name} (${type})`)
    const start = buf.byteOffset + e.offset
    if (e.offset + e.length * 4 > buf.length) throw new Error(`${path}: array ${name} out of bounds`)
    const Ctor = type === 'u32' ? Uint32Array : Float32Array
    return (start % 4 === 0 ? new Ctor(buf.buffer, start, e.length) : new Ctor(buf.buffer.slice(start, start + e.length * 4))) as T
  }
  const levels: NgramLevel[] = []
  const tables: { contextGamma: Float32Array[]; nodeProb: Float32Array[]; nodeLogProb: Float32Array[] } = { contextGamma: [], nodeProb: [], nodeLogProb: [] }
  for (let d = 1; d <= header.order; d++) {
    const inner = d < header.order
    levels.push({ tokens: view(`tokens.${d}`, 'u32'), counts: view(`counts.${d}`, 'u32'), childStart: inner ? view(`childStart.${d}`, 'u32') : null })
    if (inner) tables.contextGamma.push(view(`gamma.${d}`, 'f32'))
    tables.nodeProb.push(view(`prob.${d}`, 'f32'))
    tables.nodeLogProb.push(view(`logprob.${d}`, 'f32'))
  }
  const derived: DerivedTables = tables
  return finalizeModel(
    {
      kind: 'ngram-mkn',
      order: header.order,
      vocabSize: header.vocabSize,
      bos: header.bos,
      eot: header.eot,
      tokenizer: header.tokenizer,
      discounts: Float64Array.from(header.discounts),
      levels,
      stats: header.stats,
      meta: header.meta,
    },
    derived,
  )
}

/** Save a model into a directory (created if needed) as `<dir>/model.bin`. Returns the file path. */
export function saveModel(model: NgramModel, dir: string, meta?: Record<string, unknown>): string {
  mkdirSync(dir, { recursive: true })
  const path = join(dir, MODEL_FILE_NAME)
  saveModelFile(model, path, meta)
  return path
}

/** Load the model saved in a directory by saveModel. */
export function loadModel(dir: string): NgramModel {
  return loadModelFile(join(dir, MODEL_FILE_NAME))
}
