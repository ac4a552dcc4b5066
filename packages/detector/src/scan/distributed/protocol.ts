/**
 * Shared by the distributed coordinator and its workers: queue names, job
 * payloads and the Redis connection.
 *
 * Shard jobs carry references to the data (file path and byte range, or row
 * range; see scan/plan.ts), not documents: every worker reads the files itself
 * from storage all workers reach under the same path (a shared file system).
 * Only what cannot be read by range (compressed JSONL, standard input) travels
 * inline through Redis.
 *
 * SECURITY: a shard job carries the watermark key files' full text (the
 * secrets), because Redis is BullMQ's job store. Run
 * Redis only on loopback or a trusted internal network (bind to a private
 * interface, `requirepass`/ACL, TLS via `rediss://` across hosts), never on a
 * public address. Jobs are deleted from Redis as soon as they complete or fail
 * (`removeOnComplete`/`removeOnFail`), and neither the keys nor job data are
 * ever logged. Anyone who can read that Redis can read the keys while a scan
 * runs.
 *
 * Results travel separately: a worker pushes each shard's result (records
 * without text, and pooled evidence) to its own list, which the coordinator
 * pops in shard order as soon as it is there, so results never pile up in
 * Redis and output streams while the scan runs. Job return values are tiny
 * (BullMQ keeps them in its events stream).
 */
import { Redis } from 'ioredis'
import type { BlockEntry } from '../block.js'
import type { PooledPart, ScorerOptions } from '../document.js'
import type { Piece } from '../sources/piece.js'

/** Queue of shard jobs (children of the flow), processed by `tracemark worker`. */
export const SHARD_QUEUE = 'tracemark-scan-shard'
/** Queue of the flow's parent ("merge") jobs; never processed by a worker: the coordinator merges. */
export const MERGE_QUEUE = 'tracemark-scan-merge'

export interface ShardJobData {
  /** Key file contents: secrets, see the module note. */
  keyTexts: string[]
  scorer: ScorerOptions
  /** JSONL field / Parquet column of the text. */
  field?: string
  /** The shard's pooling blocks, each a list of references the worker reads. */
  blocks: Piece[][]
  /** The list the result goes to (see {@link resultKey}). */
  resultKey: string
}

export interface ShardResult {
  /** Per block, in order: its records (documents numbered within the block; the coordinator numbers them in the scan) and pooled evidence. */
  blocks: Array<{ entries: BlockEntry[]; parts: PooledPart[] }>
}

/** The list a shard's result is pushed to: one per shard, popped once by the coordinator. */
export function resultKey(runId: string, shard: number): string {
  return `tracemark:scan:${runId}:result:${shard}`
}

/** A result nobody pops (the coordinator died) expires after a day. */
export const RESULT_TTL_SECONDS = 24 * 3600

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
