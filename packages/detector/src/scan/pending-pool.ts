import { markFirstOccurrences } from './first-occurrences.js'
import type { TupleSet } from './tuple-set.js'
import { BLOCK_SCRATCH, fitScratch } from '../scratch.js'

/**
 * The corpus pool of a key with one stream, deferred to the end of the block.
 *
 * Pooling asks, for each tuple counted in its document, whether the open shard
 * has seen it. Asked per token, the shard's hash table (a block's ~200k tuples)
 * misses the cache on nearly every question. Held back instead, the block's
 * tuples are deduplicated at once by {@link markFirstOccurrences}, which is
 * cache-friendly, and the result is exactly what the per-token pool gives: the
 * same first occurrences, their scores summed in the same order, the shard
 * closed after the same document.
 */
export interface PendingPool {
  /** Tuples counted in their document, with their scores, in scan order. */
  tuples: Float64Array
  scores: Float64Array
  length: number
  /** `length` at the end of each document since the last flush, and that document's number. */
  ends: number[]
  docs: number[]
  push(t: number, score: number): void
  /** Makes room for `n` more pushes, so a caller may write them to the arrays directly. */
  reserve(n: number): void
  endDocument(doc: number): void
}

export function createPendingPool(): PendingPool {
  const b: PendingPool = {
    tuples: new Float64Array(1 << 14),
    scores: new Float64Array(1 << 14),
    length: 0,
    ends: [],
    docs: [],
    push(t, score) {
      if (b.length === b.tuples.length) b.reserve(1)
      b.tuples[b.length] = t
      b.scores[b.length++] = score
    },
    reserve(n) {
      const tuples = fitScratch(b.tuples, b.length + n, BLOCK_SCRATCH, (m) => new Float64Array(m))
      if (tuples === b.tuples) return
      const scores = new Float64Array(tuples.length)
      tuples.set(b.tuples.subarray(0, b.length))
      scores.set(b.scores.subarray(0, b.length))
      b.tuples = tuples
      b.scores = scores
    },
    endDocument(doc) {
      b.ends.push(b.length)
      b.docs.push(doc)
    },
  }
  return b
}

let firstFlags = new Uint8Array(1 << 14)

/**
 * Pools the held-back tuples into the open shard `open` (one stream), then
 * empties `b`. Before the block's end (`atBlockEnd` false: `b` grew too large)
 * the open shard must hold them afterwards, so they are added to it one by one. A shard that reaches `cap` unique tuples after a document is
 * closed there (`closeShard`), as the per-token pool does. When the open shard is
 * empty and fewer than `cap` tuples are held, no shard can close inside: the
 * whole list is deduplicated at once and handed to `emit` as a closed part
 * (the caller closes its shard right after).
 */
export function poolPending(
  b: PendingPool,
  open: { seen: TupleSet; sums: Float64Array },
  cap: number,
  closeShard: (afterDocument: number) => void,
  emit: (n: number, sum: number) => void,
  atBlockEnd: boolean,
): void {
  const n = b.length
  if (n > 0 && atBlockEnd && open.seen.size === 0 && n < cap) poolAtOnce([{ b, emit }])
  else if (n > 0) {
    let d = 0
    for (let i = 0; i < n; i++) {
      if (open.seen.add(b.tuples[i])) open.sums[0] += b.scores[i]
      while (d < b.ends.length && b.ends[d] === i + 1) {
        if (open.seen.size >= cap) closeShard(b.docs[d])
        d++
      }
    }
  }
  empty(b)
}

/**
 * Pools at the block's end a group of keys whose held-back lists are aligned entry
 * by entry (each entry the same position of the same document: see the key groups
 * in document.ts). When every member can be pooled at once (as {@link poolPending}
 * pools one list), one deduplication of the first member's tuples marks the first
 * occurrences for all of them. Otherwise each member is pooled on its own.
 */
export function poolPendingGroup(
  members: Array<{ b: PendingPool; open: { seen: TupleSet; sums: Float64Array }; closeShard: (afterDocument: number) => void; emit: (n: number, sum: number) => void }>,
  cap: number,
): void {
  const n = members[0].b.length
  if (!(n > 0 && n < cap && members.every((m) => m.b.length === n && m.open.seen.size === 0))) {
    for (const m of members) poolPending(m.b, m.open, cap, m.closeShard, m.emit, true)
    return
  }
  poolAtOnce(members)
  for (const m of members) empty(m.b)
}

/**
 * Deduplicates the first list's tuples at once and hands each list's part to its
 * `emit`: the distinct count, and the list's scores at the first occurrences.
 */
function poolAtOnce(lists: Array<{ b: PendingPool; emit: (n: number, sum: number) => void }>): void {
  const n = lists[0].b.length
  firstFlags = fitScratch(firstFlags, n, BLOCK_SCRATCH, (m) => new Uint8Array(m))
  const distinct = markFirstOccurrences(lists[0].b.tuples, n, firstFlags)
  for (const { b, emit } of lists) {
    // Summed in scan order: the per-token pool's floating-point sum, bit for bit.
    let sum = 0
    for (let i = 0; i < n; i++) if (firstFlags[i]) sum += b.scores[i]
    emit(distinct, sum)
  }
}

function empty(b: PendingPool): void {
  b.length = 0
  b.ends.length = 0
  b.docs.length = 0
}
