/**
 * The lab's human-written corpus: the Brown corpus (500 documents, 15 genres, 1961
 * American English) and the State of the Union addresses (233 addresses, 1790–2021),
 * with a fixed train / held-out split by document.
 *
 * The split: a document is HELD OUT iff the first 32 bits of
 * SHA-256(`${SPLIT_SALT}:${id}`), read as a big-endian unsigned integer and divided by
 * 2^32, are below HELD_OUT_FRACTION (0.30). It depends on nothing but the id, so it is
 * stable when documents are added or removed, and the held-out set of a smaller
 * fraction is a subset of that of a larger one. The held-out part is never trained on:
 * it serves for perplexity and for false-positive calibration.
 *
 * Why 30 % rather than the usual 15 %: the two corpora hold ~3.5 M cl100k tokens in all
 * (SOTU 2.09 M, Brown 1.4 M), so 15 % would leave ~0.5 M held-out tokens, half of the
 * 1 M that false-positive calibration wants.
 */
import { createHash } from 'node:crypto'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { getTokenizer, type Tokenizer } from '@tracemark/detector'
import { brownDir, brownFiles, readBrown } from './brown.js'
import { readSotu, sotuDir, sotuFiles } from './sotu.js'

export type CorpusSource = 'brown' | 'sotu'

export interface Document {
  /** `brown/ca01`, `sotu/1790_george_washington_n`: unique and stable. */
  readonly id: string
  readonly source: CorpusSource
  readonly text: string
}

export interface CorpusSplit {
  readonly train: Document[]
  readonly heldOut: Document[]
}

/** Salt of the split hash. Changing it changes the split: don't. */
export const SPLIT_SALT = 'tracemark-lab-split-v1'
/** Fraction of documents (in expectation) that are held out. */
export const HELD_OUT_FRACTION = 0.3
/**
 * Version of the text extraction (Brown detokenization, SOTU cleaning). Bump it when the
 * text of any document changes so that cached models trained on it are rebuilt.
 */
export const CORPUS_TEXT_VERSION = 1

/** The split coordinate of a document id: a number in [0, 1), uniform over ids. */
export function splitHash(id: string, salt = SPLIT_SALT): number {
  const h = createHash('sha256').update(`${salt}:${id}`).digest()
  return h.readUInt32BE(0) / 2 ** 32
}

/** True when the document with this id belongs to the held-out split. */
export function isHeldOut(id: string, fraction = HELD_OUT_FRACTION): boolean {
  return splitHash(id) < fraction
}

let memo: Document[] | undefined

/** All documents, Brown first (`ca01` … `cr09`), then SOTU in chronological order. */
export function loadCorpus(): Document[] {
  if (memo) return memo.slice()
  const docs: Document[] = []
  const bdir = brownDir()
  for (const f of brownFiles(bdir)) docs.push({ id: `brown/${f}`, source: 'brown', text: readBrown(f, bdir) })
  const sdir = sotuDir()
  for (const f of sotuFiles(sdir)) docs.push({ id: `sotu/${f.replace(/\.txt$/, '')}`, source: 'sotu', text: readSotu(f, sdir) })
  memo = docs
  return docs.slice()
}

/** The fixed train / held-out split (see the module comment), each in loadCorpus() order. */
export function splitCorpus(docs: readonly Document[] = loadCorpus(), fraction = HELD_OUT_FRACTION): CorpusSplit {
  const train: Document[] = []
  const heldOut: Document[] = []
  for (const d of docs) (isHeldOut(d.id, fraction) ? heldOut : train).push(d)
  return { train, heldOut }
}

/** Tokenize documents (cl100k_base unless told otherwise), one Uint32Array per document. */
export function tokenizeDocuments(docs: readonly Document[], tokenizer: Tokenizer = getTokenizer('cl100k_base')): Uint32Array[] {
  return docs.map((d) => tokenizer.encode(d.text))
}

/**
 * Identity of the raw corpus files (names and byte sizes), the text-extraction version
 * and the split parameters: an input of the model cache key.
 */
export function corpusFingerprint(): string {
  const h = createHash('sha256')
  h.update(`text-v${CORPUS_TEXT_VERSION} split ${SPLIT_SALT} ${HELD_OUT_FRACTION}\n`)
  const bdir = brownDir()
  for (const f of brownFiles(bdir)) h.update(`brown/${f} ${statSync(join(bdir, f)).size}\n`)
  const sdir = sotuDir()
  for (const f of sotuFiles(sdir)) h.update(`sotu/${f} ${statSync(join(sdir, f)).size}\n`)
  return h.digest('hex')
}
