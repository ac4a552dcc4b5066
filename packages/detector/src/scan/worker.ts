import { parentPort, workerData } from 'node:worker_threads'
import { parseKey } from '@tracemark/watermark'
import { scoreBlock } from './block.js'
import { createScorer, type ScorerOptions } from './document.js'
import { sourceSettings, type ReadSourcesOptions } from './sources/index.js'
import type { Piece } from './sources/piece.js'

/** Messages from the scan pool to a worker. */
export type WorkerRequest = { type: 'block'; id: number; pieces: Piece[]; keepTexts: number }

/**
 * A scan worker: builds its own scorer from the key files (the secrets travel by
 * memory, never through logs), then reads, parses and scores one block at a
 * time from the references it is sent, and hands back small records and the
 * block's pooled evidence.
 */
export function startScanWorker(): void {
  const { keyFiles, options, source } = workerData as { keyFiles: string[]; options: ScorerOptions; source: ReadSourcesOptions }
  const scorer = createScorer(keyFiles.map(parseKey), options)
  const settings = sourceSettings(source)
  parentPort!.on('message', async (m: WorkerRequest) => {
    try {
      // A block's unique tuples are pooled, then closed, so the corpus result
      // does not depend on which worker ran which block.
      const out = await scoreBlock(m.pieces, scorer, settings, m.keepTexts)
      parentPort!.postMessage({ type: 'results', id: m.id, out })
    } catch (e) {
      parentPort!.postMessage({ type: 'error', id: m.id, error: (e as Error).message })
    }
  })
  parentPort!.postMessage({ type: 'ready' })
}

// Run when loaded as a worker entry (dist/scan-worker.js or through worker-boot.mjs).
if (parentPort && workerData?.scanWorker) startScanWorker()
