/**
 * Which entries of a list of tuple ids are the first occurrence of their value,
 * for a whole pooling block at once.
 *
 * A hash set over a block's ~200k tuples outgrows the L2 cache, and then every
 * insertion is a cache miss (~100 ns measured, most of the scorer's time). Here
 * the ids are first scattered, in order, into 256 partitions by hash (sequential
 * writes), and each partition is deduplicated with a table that fits in L1: the
 * same answer (the scatter keeps each partition in input order, so the first
 * entry of a value is the one marked), at a few ns per tuple.
 */

import { BLOCK_SCRATCH, fitScratch } from '../scratch.js'
import { tupleHash } from './tuple-set.js'

const PARTITION_BITS = 8
/** Below this many ids one small table is already cache-resident. */
const DIRECT = 1 << 12

/**
 * Sets `first[i] = 1` for each i < n whose `tuples[i]` does not occur at any
 * j < i (and 0 otherwise); returns the number of distinct values. Ids are
 * integers in [0, 2^52), as scoreTokens makes them.
 */
export function markFirstOccurrences(tuples: Float64Array, n: number, first: Uint8Array): number {
  if (n <= DIRECT) return dedup(tuples, null, 0, n, first, 0)
  const P = 1 << PARTITION_BITS
  const shift = 32 - PARTITION_BITS
  const start = new Int32Array(P + 1)
  // Reused across blocks: fresh 12-byte-per-tuple arrays every block were
  // garbage that V8 frees late (external memory), raising a worker's peak RSS.
  partT = fitScratch(partT, n, BLOCK_SCRATCH, (m) => new Float64Array(m))
  if (partI.length !== partT.length) partI = new Int32Array(partT.length)
  // The hash is a truncation and a multiply: recomputed by the count, the scatter
  // and the tables rather than stored (two fewer arrays to write and scatter).
  for (let i = 0; i < n; i++) start[(tupleHash(tuples[i]) >>> shift) + 1]++
  for (let p = 0; p < P; p++) start[p + 1] += start[p]
  const fill = start.slice(0, P)
  for (let i = 0; i < n; i++) {
    const t = tuples[i]
    const q = fill[tupleHash(t) >>> shift]++
    partT[q] = t
    partI[q] = i
  }
  let distinct = 0
  for (let p = 0; p < P; p++) distinct += dedup(partT, partI, start[p], start[p + 1], first, PARTITION_BITS)
  return distinct
}

let table = new Float64Array(1 << 10)
let partT = new Float64Array(0)
let partI = new Int32Array(0)

/**
 * Open addressing over `tuples[from..to)` (the hash's top `used` bits are the
 * partition's, so the slot takes the bits after them); marks first occurrences
 * at `index[j]` (or j itself when `index` is null).
 */
function dedup(tuples: Float64Array, index: Int32Array | null, from: number, to: number, first: Uint8Array, used: number): number {
  const len = to - from
  if (len === 0) return 0
  const bits = Math.max(4, Math.ceil(Math.log2(len * 2)))
  const size = 1 << bits
  const fitted = fitScratch(table, size, BLOCK_SCRATCH, (m) => new Float64Array(m))
  if (fitted === table) table.fill(0, 0, size)
  else table = fitted
  const mask = size - 1
  let distinct = 0
  for (let j = from; j < to; j++) {
    const t = tuples[j]
    const k = t + 1 // 0 marks an empty slot
    let s = (tupleHash(t) << used) >>> (32 - bits)
    let isNew = 1
    for (let v = table[s]; v !== 0; v = table[s]) {
      if (v === k) {
        isNew = 0
        break
      }
      s = (s + 1) & mask
    }
    if (isNew) {
      table[s] = k
      distinct++
    }
    first[index ? index[j] : j] = isNew
  }
  return distinct
}
