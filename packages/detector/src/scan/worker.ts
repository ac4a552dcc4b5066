import { parentPort, workerData } from 'node:worker_threads'
import { parseKey } from '@tracemark/watermark'
import { createScorer, type ScorerOptions } from './document.js'
import type { Location } from './types.js'

/** Messages from the scan pool to a worker. */
export type WorkerRequest =
  | { type: 'batch'; id: number; docs: Array<{ index: number; text: string; where: Location }> }


/**
 * A scan worker: builds its own scorer from the key files (the secrets travel by
 * memory, never through logs), scores batches of documents, and at the end hands
 * back its pooled evidence.
 */
export function startScanWorker(): void {
  const { keyFiles, options } = workerData as { keyFiles: string[]; options: ScorerOptions }
  const scorer = createScorer(keyFiles.map(parseKey), options)
  parentPort!.on('message', (m: WorkerRequest) => {
    try {
      if (m.type === 'batch') {
        // A batch is one pooling block: its unique tuples are pooled, then closed,
        // so the corpus result does not depend on which worker ran which block.
        const results = m.docs.map((d) => scorer.score(d.text, d.where, d.index))
        parentPort!.postMessage({ type: 'results', id: m.id, results, parts: scorer.pooled() })
      }
    } catch (e) {
      parentPort!.postMessage({ type: 'error', error: (e as Error).message })
    }
  })
  parentPort!.postMessage({ type: 'ready' })
}

// Run when loaded as a worker entry (dist/scan-worker.js or through worker-boot.mjs).
if (parentPort && workerData?.scanWorker) startScanWorker()
