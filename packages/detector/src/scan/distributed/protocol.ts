/**
 * Shared by the distributed coordinator and its workers: queue names, job
 * payloads and the Redis connection.
 *
 * SECURITY: a shard job carries the watermark key files' full text (the
 * secrets) and the documents' text, because Redis is BullMQ's job store. Run
 * Redis only on loopback or a trusted internal network (bind to a private
 * interface, `requirepass`/ACL, TLS via `rediss://` across hosts), never on a
 * public address. Jobs are deleted from Redis as soon as they complete or fail
 * (`removeOnComplete`/`removeOnFail`), and neither the keys nor job data are
 * ever logged. Anyone who can read that Redis can read the keys while a scan
 * runs.
 */
import type { IndexedRecord } from '../records.js'
import { Redis } from 'ioredis'
import type { PooledPart, ScorerOptions } from '../document.js'

/** Queue of shard jobs (children of the flow), processed by `tracemark worker`. */
export const SHARD_QUEUE = 'tracemark-scan-shard'
/** Queue of the flow's parent ("merge") jobs; never processed by a worker: the coordinator merges. */
export const MERGE_QUEUE = 'tracemark-scan-merge'

/** A source record with its document index (valid records only). */
export type ShardRecord = IndexedRecord

export interface ShardJobData {
  /** Key file contents: secrets, see the module note. */
  keyTexts: string[]
  scorer: ScorerOptions
  alpha: number
  blockSize: number
  /** Position of the shard's first record in the scan (a multiple of blockSize). */
  start: number
  records: ShardRecord[]
}

export interface ShardResult {
  /** NDJSON lines (document and error records), in input order, as `runScan` emits them. */
  records: string[]
  /** Pooled evidence, one entry list per block, in block order. */
  parts: PooledPart[]
}

/** A Redis connection for BullMQ (which needs `maxRetriesPerRequest: null`). */
export function connect(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null })
}

/** Closes a connection, bounded in time. */
export async function disconnect(r: Redis): Promise<void> {
  try {
    await Promise.race([r.quit(), new Promise((resolve) => setTimeout(resolve, 2000).unref())])
  } catch {
    // already closed
  }
  r.disconnect()
}
