import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { ScorerOptions, PooledPart } from './document.js'
import type { DocumentResult, Location } from './types.js'

export interface Job {
  index: number
  text: string
  where: Location
}

/** A pool of scan workers that score batches of documents in parallel. */
export interface ScanPool {
  readonly size: number
  /** Scores a batch (one pooling block); resolves with results in the batch's order and its pooled evidence. */
  score(docs: Job[]): Promise<{ results: DocumentResult[]; parts: PooledPart[] }>
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

/** Starts `size` workers, each with its own scorer over the same keys. */
export async function createScanPool(size: number, keyFiles: string[], options: ScorerOptions): Promise<ScanPool> {
  const { url, tsconfig } = workerUrl()
  const workers: Worker[] = []
  const idle: Worker[] = []
  const waiting: Array<(w: Worker) => void> = []
  type Done = { results: DocumentResult[]; parts: PooledPart[] }
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
      const w = new Worker(url, { workerData: { scanWorker: true, keyFiles, options, tsconfig } })
      workers.push(w)
      return new Promise<void>((resolve, reject) => {
        w.on('message', (m) => {
          if (m.type === 'ready') {
            idle.push(w)
            resolve()
          } else if (m.type === 'results') {
            const p = pending.get(m.id)!
            pending.delete(m.id)
            p.resolve({ results: m.results, parts: m.parts })
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
    async score(docs) {
      if (failure) throw failure
      const w = await acquire()
      const id = nextId++
      return new Promise<Done>((resolve, reject) => {
        pending.set(id, { resolve, reject, worker: w })
        w.postMessage({ type: 'batch', id, docs })
      })
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()))
    },
  }
}
