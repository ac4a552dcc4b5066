/**
 * `tracemark scan --redis URL`: the multi-machine scan. The coordinator plans
 * the scan (see plan.ts: it finds line ends and reads Parquet footers, never
 * parses documents), cuts the plan into shards of whole pooling blocks of
 * references and enqueues one BullMQ flow: a parent "merge" job whose children are the
 * shards. `tracemark worker --redis URL` processes (see worker.ts) score the
 * shards and push each result to its own list; the coordinator pops them in
 * shard order while it is still enqueueing, and emits the records and the
 * summary exactly as `runScan` does.
 *
 * Data path: shard jobs carry references (file path and byte or row range) and
 * the key files' text through Redis (see protocol.ts: trusted loopback/internal
 * Redis only); workers read the data from the shared path themselves. The
 * coordinator throttles itself so at most {@link MAX_WAITING_SHARDS} shards
 * wait in Redis and at most {@link MAX_PENDING_RESULTS} shards run ahead of
 * the first result not yet emitted: Redis and the coordinator hold a bounded
 * window of the scan however large the corpus, and output streams.
 *
 * The flow is kept from completing early by a "gate" child (no data) added
 * delayed and promoted only after the last shard is enqueued.
 *
 * `--report`: the coordinator picks the strongest documents from the merged
 * records and reads the inputs a second time for their texts. Shard results
 * never carry text, since BullMQ keeps return values in its events stream.
 */
import { randomUUID } from 'node:crypto'
import { parseKey } from '@tracemark/watermark'
import { FlowProducer, Job as BullJob, Queue, QueueEvents } from 'bullmq'
import { inputFingerprint, outputIdentities, ScanInterrupted, scanId, type ScanIo, type ScanOptions } from '../run.js'
import { openState, type ResumeState } from '../state.js'
import { scanCommonTuples } from '../common.js'
import { blockRecords, indexedRecords, type OutputRecord } from '../records.js'
import { planBlocks } from '../plan.js'
import { listOnce } from '../sources/s3.js'
import type { Piece } from '../sources/piece.js'
import { describeLocation, type DocumentResult, type ScanSummary } from '../types.js'
import { strongestDocuments } from '../report/strongest.js'
import { writeReport } from '../report/write.js'
import { connect, disconnect, MERGE_QUEUE, resultKey, SHARD_QUEUE, type ShardJobData, type ShardResult } from './protocol.js'
import { createSummaryBuilder } from '../summary-builder.js'

export interface DistributedScanOptions extends ScanOptions {
  /** Redis URL (`redis://host:port`, `rediss://` for TLS). */
  redis: string
  /** Source records per shard, rounded up to a multiple of blockSize (default 8 blocks). */
  shardSize?: number
  /** Shards enqueued ahead of the first result not yet emitted (default {@link MAX_PENDING_RESULTS}). */
  maxPendingResults?: number
}

/** Shards queued but not yet taken by a worker before the coordinator waits. */
export const MAX_WAITING_SHARDS = 16
/** Shards enqueued ahead of the first result not yet emitted (bounds results held in Redis). */
export const MAX_PENDING_RESULTS = 64
const GATE_HOLD_MS = 24 * 3600 * 1000
const POLL_MS = 100

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Same contract as `runScan` (same records in the same order, same summary;
 * only `seconds` differs; the same HTML report; the same resume state), with
 * the scoring done by `tracemark worker`s. `workers` does not apply.
 */
export async function runDistributedScan(o: DistributedScanOptions, io: ScanIo): Promise<ScanSummary> {
  const t0 = performance.now()
  if (o.report && o.inputs.includes('-')) throw new Error('--report with --redis reads the inputs twice: standard input cannot be one of them')
  const keys = o.keyTexts.map((t) => parseKey(t))
  if (keys.length === 0) throw new Error('at least one key is needed')
  const blockSize = o.blockSize ?? 512
  const alpha = o.alpha ?? 1e-6
  const blocksPerShard = Math.max(1, Math.ceil((o.shardSize ?? blockSize * 8) / blockSize))
  o = { ...o, list: o.list ?? listOnce() }
  const state: ResumeState | null = o.resume ? openState(o.resume, scanId(o, keys, blockSize), await inputFingerprint(o)) : null
  const skip = outputIdentities(o)
  const common = await scanCommonTuples({ ...o, skip }, keys, io.warn)
  const scorer = { ...o.scorer, accounts: o.accounts, exclude: common?.exclude }
  const maxPending = Math.max(1, o.maxPendingResults ?? MAX_PENDING_RESULTS)
  const builder = createSummaryBuilder(o, keys)
  const strongest = strongestDocuments<{ r: DocumentResult }>()
  // Every record, replayed or new: the summary, its input-error warning, the report.
  const record = (r: OutputRecord) => {
    const warning = builder.account(r)
    if (warning) io.warn(warning)
    if (r.type === 'document' && o.report) strongest.keep({ r })
  }
  // Resume: replay what a previous run (local or distributed) completed, then go on from there.
  if (state) {
    state.replay(
      (line) => {
        record(JSON.parse(line) as OutputRecord)
        io.record(line)
      },
      (parts) => builder.addParts(parts),
    )
    io.flush?.()
  }
  const runId = randomUUID()
  const shardId = (k: number) => `${runId}-${k}`
  const gateId = `${runId}-gate`

  const connection = connect(o.redis)
  const eventsConnection = connect(o.redis)
  // Blocking pops get their own connection.
  const results = connect(o.redis)
  const shards = new Queue<ShardJobData | { gate: true }, number>(SHARD_QUEUE, { connection })
  const merges = new Queue(MERGE_QUEUE, { connection })
  const flows = new FlowProducer({ connection })
  const events = new QueueEvents(SHARD_QUEUE, { connection: eventsConnection })
  const failures = new Map<string, string>()
  events.on('failed', ({ jobId, failedReason }) => {
    if (jobId.startsWith(runId)) failures.set(jobId, failedReason)
  })
  events.on('error', () => {}) // connection trouble surfaces through the queue calls
  let parent: BullJob | undefined
  // Shards enqueued, and shards whose results were emitted (in order).
  let count = 0
  let emitted = 0
  const childOpts = {
    removeOnComplete: true,
    // A failed job would keep its data (the keys) in Redis: drop it; the reason comes by QueueEvents.
    removeOnFail: true,
    attempts: 2,
    backoff: { type: 'fixed', delay: 1000 },
    failParentOnFailure: true,
  }

  try {
    await Promise.all([shards.waitUntilReady(), merges.waitUntilReady(), events.waitUntilReady()])
    const node = await flows.add({
      name: 'merge',
      queueName: MERGE_QUEUE,
      data: { runId },
      opts: { jobId: runId },
      children: [{ name: 'gate', queueName: SHARD_QUEUE, data: { gate: true }, opts: { ...childOpts, jobId: gateId, delay: GATE_HOLD_MS } }],
    })
    parent = node.job
    const parentRef = { id: runId, queue: merges.qualifiedName }

    let enqueued = false
    let current: Piece[][] = []
    let currentEnd = state?.consumed ?? 0
    // Source records consumed up to the end of each shard (for the resume state).
    const shardEnd: number[] = []

    const failed = async () => {
      const state = await parent!.getState()
      if (failures.size === 0 && state !== 'failed' && state !== 'unknown') return
      const p = await BullJob.fromId(merges, runId)
      const reasons = [...failures].map(([id, r]) => `${id}: ${r}`).join('; ')
      throw new Error(`distributed scan failed: ${reasons || p?.failedReason || state}`)
    }
    const emit = (r: ShardResult, shard: number) => {
      const lines: string[] = []
      for (const b of r.blocks) {
        // Documents are numbered in the scan here, where all earlier ones are known.
        for (const rec of blockRecords(b.entries, builder.documents, alpha)) {
          const line = JSON.stringify(rec)
          record(rec)
          io.record(line)
          lines.push(line)
        }
        builder.addParts(b.parts)
      }
      state?.append(lines, shardEnd[shard], r.blocks.flatMap((b) => b.parts))
      io.flush?.()
      io.progress?.({ documents: builder.documents, tokens: builder.tokens, bytes: builder.bytes, seconds: (performance.now() - t0) / 1000 })
    }
    // Streams the results in shard order while the sources are still being read.
    let emitError: unknown
    const emitter = (async () => {
      while (!(enqueued && emitted === count)) {
        if (emitted === count) {
          await sleep(POLL_MS)
          continue
        }
        const popped = await results.blpop(resultKey(runId, emitted), 1)
        if (!popped) {
          await failed()
          continue
        }
        emit(JSON.parse(popped[1]) as ShardResult, emitted)
        emitted++
      }
    })().catch((e: unknown) => {
      emitError = e
    })

    const flush = async () => {
      if (current.length === 0) return
      const data: ShardJobData = { keyTexts: o.keyTexts, scorer, field: o.field, blocks: current, resultKey: resultKey(runId, count) }
      shardEnd[count] = currentEnd
      current = []
      // Bound what waits in Redis: shards not yet taken, and results not yet emitted.
      while (emitError === undefined && ((await shards.getWaitingCount()) >= MAX_WAITING_SHARDS || count - emitted >= maxPending)) await sleep(POLL_MS)
      if (emitError !== undefined) throw emitError
      await shards.add('shard', data, { ...childOpts, jobId: shardId(count++), parent: parentRef })
    }
    try {
      for await (const block of planBlocks(o.inputs, { format: o.format, field: o.field, skip, list: o.list }, blockSize, state?.consumed ?? 0)) {
        if (o.signal?.aborted) break
        current.push(block.pieces)
        currentEnd = block.consumed
        if (current.length >= blocksPerShard) await flush()
      }
      if (!o.signal?.aborted) await flush()
    } finally {
      enqueued = true
    }
    // Every shard is a child now: let the gate through.
    await shards.getJob(gateId).then((g) => g?.promote())
    await emitter
    if (emitError !== undefined) throw emitError
  } finally {
    // Drop the flow (and any shard not yet taken, with its data) and unread results from Redis.
    if (parent) await parent.remove({ removeChildren: true }).catch(() => {})
    const unread = Array.from({ length: count - emitted }, (_, i) => resultKey(runId, emitted + i))
    if (unread.length) await connection.del(...unread).catch(() => {})
    await Promise.allSettled([events.close(), flows.close(), shards.close(), merges.close()])
    await Promise.all([disconnect(connection), disconnect(eventsConnection), disconnect(results)])
    state?.close()
  }

  if (o.signal?.aborted) throw new ScanInterrupted(o.resume)

  const summary = builder.finish((performance.now() - t0) / 1000, common?.summary ?? null)
  io.record(JSON.stringify(summary))
  io.flush?.()
  if (o.report) writeReport(o.report, summary, keys, await withTexts({ ...o, skip }, strongest.list(), io), o.scorer)
  return summary
}

/**
 * The texts of the given documents, from a second read of the inputs, numbered
 * as the first read numbered them. A document whose
 * text changed size since the scan is left out of the report, with a warning.
 */
async function withTexts(o: ScanOptions & { skip: ReadonlySet<string> }, docs: Array<{ r: DocumentResult }>, io: ScanIo): Promise<Array<{ r: DocumentResult; text: string }>> {
  const wanted = new Map(docs.map((d) => [d.r.index, d.r]))
  const found = new Map<number, string>()
  const utf8 = new TextEncoder()
  for await (const rec of indexedRecords(o.inputs, { format: o.format, field: o.field, skip: o.skip, list: o.list })) {
    if (rec.error !== undefined) continue
    const r = wanted.get(rec.index!)
    if (!r) continue
    if (r.bytes !== undefined && utf8.encode(rec.text).length !== r.bytes) io.warn(`${describeLocation(rec)}: changed during the scan; left out of the report`)
    else found.set(r.index, rec.text)
    if (found.size === wanted.size) break
  }
  return docs.filter((d) => found.has(d.r.index)).map((d) => ({ r: d.r, text: found.get(d.r.index)! }))
}
