/**
 * `tracemark worker --redis URL`: processes the shard jobs of distributed scans.
 *
 * Each shard is scored block by block on a local pool of scan threads (the same
 * pool as `runScan`), and each block's pooled evidence is closed after the
 * block, so the result does not depend on which machine or thread scored which
 * block. The event loop stays free while threads score, so BullMQ keeps the
 * job's lock alive. See protocol.ts for the security note: shard jobs carry
 * the key files' text.
 */
import { blockLines } from '../records.js'
import { createHash } from 'node:crypto'
import { availableParallelism } from 'node:os'
import { Worker, type Job as BullJob } from 'bullmq'
import { createScanPool, type Job, type ScanPool } from '../pool.js'
import type { PooledPart } from '../document.js'
import type { DocumentResult } from '../types.js'
import { connect, disconnect, RESULT_TTL_SECONDS, SHARD_QUEUE, type ShardJobData, type ShardRecord } from './protocol.js'

export interface ScanWorkerOptions {
  /** Shards scored at once, and threads in the local scoring pool (default: available cores). */
  concurrency?: number
  /** Stops the worker: it finishes its active shards, then resolves. */
  signal?: AbortSignal
  /** Problems (connection errors, failed shards): messages only, never job data. Default: stderr. */
  log?: (message: string) => void
}

interface PoolEntry {
  pool: Promise<ScanPool>
  refs: number
  broken: boolean
}

/**
 * Runs a shard worker until `options.signal` aborts (forever without one).
 * Scoring pools are built from each job's keys and reused across jobs with the
 * same keys and options.
 */
export async function runScanWorker(redis: string, options: ScanWorkerOptions = {}): Promise<void> {
  const { signal } = options
  if (signal?.aborted) return
  const size = Math.max(1, Math.floor(options.concurrency ?? availableParallelism()))
  const log = options.log ?? ((m: string) => process.stderr.write(`tracemark worker: ${m}\n`))
  const pools = new Map<string, PoolEntry>()

  const closePool = (e: PoolEntry) => {
    e.pool.then((p) => p.close()).catch(() => {})
  }
  const acquire = (d: ShardJobData): [string, PoolEntry] => {
    // The hash names the pool in memory only; the keys themselves stay in the pool.
    const id = createHash('sha256').update(JSON.stringify([d.keyTexts, d.scorer])).digest('hex')
    let e = pools.get(id)
    if (!e) {
      e = { pool: createScanPool(size, d.keyTexts, d.scorer), refs: 0, broken: false }
      e.pool.catch(() => {})
      pools.set(id, e)
    }
    e.refs++
    return [id, e]
  }
  const release = (id: string, e: PoolEntry) => {
    e.refs--
    if (e.broken && pools.get(id) === e) pools.delete(id)
    // Keep the most recent pool warm; close idle ones for other key sets.
    for (const [other, o] of pools) {
      if (other !== id && o.refs === 0) {
        pools.delete(other)
        closePool(o)
      }
    }
    if (e.refs === 0 && (e.broken || pools.get(id) !== e)) closePool(e)
  }

  const results = connect(redis)
  const processShard = async (job: BullJob<ShardJobData | { gate: true }, number>): Promise<number> => {
    if ('gate' in job.data) return 0
    const d = job.data
    const [id, entry] = acquire(d)
    try {
      const pool = await entry.pool
      const blocks: ShardRecord[][] = []
      for (let i = 0; i < d.records.length; i += d.blockSize) blocks.push(d.records.slice(i, i + d.blockSize))
      const done = await Promise.all(
        blocks.map((b) => {
          const jobs: Job[] = []
          for (const r of b) if (r.error === undefined) jobs.push({ index: r.index!, text: r.text, where: { file: r.file, line: r.line, row: r.row } })
          return jobs.length ? pool.score(jobs) : Promise.resolve({ results: [] as DocumentResult[], parts: [] as PooledPart[] })
        }),
      )
      const records: string[] = []
      const parts: PooledPart[] = []
      for (let i = 0; i < blocks.length; i++) {
        records.push(...blockLines(blocks[i], done[i].results, d.alpha))
        parts.push(...done[i].parts)
      }
      // A retried shard replaces, never appends: the list holds exactly one result.
      await results.multi().del(d.resultKey).rpush(d.resultKey, JSON.stringify({ records, parts })).expire(d.resultKey, RESULT_TTL_SECONDS).exec()
      return records.length
    } catch (e) {
      entry.broken = true
      throw e
    } finally {
      release(id, entry)
    }
  }

  const connection = connect(redis)
  const worker = new Worker<ShardJobData | { gate: true }, number>(SHARD_QUEUE, processShard, {
    connection,
    concurrency: size,
    // Scoring runs on threads, so the lock is renewed on time; this only bounds a stuck machine.
    lockDuration: 60_000,
  })
  worker.on('error', (e) => log(`redis: ${e.message}`))
  worker.on('failed', (job, e) => log(`shard ${job?.id ?? '?'} failed: ${e.message}`))
  try {
    await worker.waitUntilReady()
    await new Promise<void>((resolve) => {
      if (!signal) return // runs until the process ends
      if (signal.aborted) resolve()
      else signal.addEventListener('abort', () => resolve(), { once: true })
    })
  } finally {
    await worker.close()
    await Promise.all([...pools.values()].map((e) => e.pool.then((p) => p.close()).catch(() => {})))
    pools.clear()
    await Promise.all([disconnect(connection), disconnect(results)])
  }
}
