/**
 * `tracemark worker --redis URL`: processes the shard jobs of distributed scans.
 *
 * Each shard is read and scored block by block on a local pool of scan threads
 * (the same pool as `runScan`): the threads read the files the shard's
 * references name, so the data never passes through Redis. Each block's pooled evidence is closed after the
 * block, so the result does not depend on which machine or thread scored which
 * block. The event loop stays free while threads score, so BullMQ keeps the
 * job's lock alive. See protocol.ts for the security note: shard jobs carry
 * the key files' text.
 */
import { createHash } from 'node:crypto'
import { availableParallelism } from 'node:os'
import { Worker, type Job as BullJob } from 'bullmq'
import { createScanPool, type ScanPool } from '../pool.js'
import { connect, disconnect, RESULT_TTL_SECONDS, SHARD_QUEUE, type ShardJobData, type ShardResult } from './protocol.js'

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
    const id = createHash('sha256').update(JSON.stringify([d.keyTexts, d.scorer, d.field ?? null])).digest('hex')
    let e = pools.get(id)
    if (!e) {
      e = { pool: createScanPool(size, d.keyTexts, d.scorer, { field: d.field }), refs: 0, broken: false }
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
      const done = await Promise.all(d.blocks.map((pieces) => pool.score(pieces)))
      const result: ShardResult = { blocks: done.map((b) => ({ entries: b.entries, parts: b.parts })) }
      // A retried shard replaces, never appends: the list holds exactly one result.
      await results.multi().del(d.resultKey).rpush(d.resultKey, JSON.stringify(result)).expire(d.resultKey, RESULT_TTL_SECONDS).exec()
      return done.reduce((n, b) => n + b.entries.length, 0)
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
