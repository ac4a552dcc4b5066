import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { BlockOutput } from './block.js'
import type { ScorerOptions } from './document.js'
import { DEFAULT_MAX_DOCUMENT_BYTES, type ReadSourcesOptions } from './sources/index.js'
import type { Piece } from './sources/piece.js'

/** A pool of scan workers that read and score blocks in parallel. */
export interface ScanPool {
  readonly size: number
  /** Reads and scores one pooling block from its references (see block.ts). */
  score(pieces: Piece[], keepTexts?: number): Promise<BlockOutput>
  /** Stops the workers. */
  close(): Promise<void>
}

function workerUrl(): { url: URL; tsconfig?: string } {
  const here = import.meta.url
  if (here.endsWith('.ts')) {
    // Running from sources: boot through tsx. The repo's tsconfig is four levels up.
    const tsconfig = fileURLToPath(new URL('../../../../tsconfig.json', here))
    return { url: new URL('./worker-boot.mjs', here), tsconfig }
  }
  const built = new URL('./scan-worker.js', here)
  if (!existsSync(fileURLToPath(built))) throw new Error(`scan worker not found at ${fileURLToPath(built)}`)
  return { url: built }
}

/**
 * Young generation of a worker's heap, in MiB: 12 instead of V8's 32 here. A worker's
 * young objects die within a document. Scanning 1 GB of JSONL with 2 workers, with the
 * old generation capped as below: 12 MiB peaked at 236-252 MiB of RSS, 16 MiB at
 * 258-267, 8 MiB at 247-249; 12 and 16 took the same CPU time on 30 MB (5.3 and 5.2 s,
 * five runs each, within the noise), 8 was ~9 % slower on 1 GB. (Before the old
 * generation was capped, a small young generation was worse: a block's promoted
 * objects waited for rare major collections.)
 */
const WORKER_YOUNG_GENERATION_MB = 12

/**
 * Old generation of a worker's heap, in MiB. What matters is less the cap than how V8
 * sizes the heap under it: below a ~4 GB limit (the default here) V8 lets the old space
 * grow to ~4x its live size between major collections, and on a long scan a worker's
 * old space swung between 25 and 110 MiB (its live set is ~25: the tokenizer's tables,
 * the merge cache, the block's records). Under a 512 MiB limit V8 grows it by ~1.4x
 * and it stayed at 23-36 MiB: 1 GB with 2 workers peaked at 293 MiB of RSS against 369,
 * in the same time. The largest document read by default (16 MiB) took at most 153 MiB
 * of old space (measured on hostile text: one character repeated, digits, random ASCII,
 * and random CJK, the heaviest); the limit stays 32x the largest document so a larger
 * `maxDocumentBytes` keeps that margin. A tight limit is not safe: at 96-128 MiB, Node
 * 20 aborted the whole process (not the worker) on such a document.
 */
export function workerOldGenerationMb(maxDocumentBytes = DEFAULT_MAX_DOCUMENT_BYTES): number {
  return Math.max(512, Math.ceil((32 * maxDocumentBytes) / 2 ** 20))
}

/** Starts `size` workers, each with its own scorer over the same keys and its own readers. */
export async function createScanPool(size: number, keyFiles: string[], options: ScorerOptions, source: Pick<ReadSourcesOptions, 'field' | 'maxDocumentBytes'> = {}): Promise<ScanPool> {
  const { url, tsconfig } = workerUrl()
  const workers: Worker[] = []
  const idle: Worker[] = []
  const waiting: Array<(w: Worker) => void> = []
  type Done = BlockOutput
  const pending = new Map<number, { resolve: (r: Done) => void; reject: (e: Error) => void; worker: Worker }>()
  let nextId = 0
  let failure: Error | null = null
  const release = (w: Worker) => {
    const take = waiting.shift()
    if (take) take(w)
    else idle.push(w)
  }
  await Promise.all(
    Array.from({ length: size }, () => {
      const w = new Worker(url, { resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB, maxOldGenerationSizeMb: workerOldGenerationMb(source.maxDocumentBytes) }, workerData: { scanWorker: true, keyFiles, options, source: { field: source.field, maxDocumentBytes: source.maxDocumentBytes }, tsconfig } })
      workers.push(w)
      return new Promise<void>((resolve, reject) => {
        w.on('message', (m) => {
          if (m.type === 'ready') {
            idle.push(w)
            resolve()
          } else if (m.type === 'results') {
            const p = pending.get(m.id)!
            pending.delete(m.id)
            p.resolve(m.out)
            release(w)
          } else if (m.type === 'error') {
            failure = new Error(`scan worker: ${m.error}`)
            for (const p of pending.values()) if (p.worker === w) p.reject(failure)
          }
        })
        w.on('error', (e) => {
          failure = e
          reject(e)
          for (const p of pending.values()) p.reject(e)
        })
      })
    }),
  )
  const acquire = () => new Promise<Worker>((resolve) => (idle.length ? resolve(idle.pop()!) : waiting.push(resolve)))
  return {
    size,
    async score(pieces, keepTexts = 0) {
      if (failure) throw failure
      const w = await acquire()
      const id = nextId++
      return new Promise<Done>((resolve, reject) => {
        pending.set(id, { resolve, reject, worker: w })
        w.postMessage({ type: 'block', id, pieces, keepTexts })
      })
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()))
    },
  }
}
