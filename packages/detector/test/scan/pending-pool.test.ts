import { createWatermarker, generateKey, scoreTokens, seededRandom, type WatermarkKey } from '@tracemark/watermark'
import { describe, expect, it } from 'vitest'
import { detect, uniqueScores } from '../../src/detect.js'
import { createScorer, type PooledPart } from '../../src/scan/document.js'
import { markFirstOccurrences } from '../../src/scan/first-occurrences.js'
import { createPendingPool } from '../../src/scan/pending-pool.js'
import { BLOCK_SCRATCH, fitScratch } from '../../src/scratch.js'

/** Tuples as scoreTokens makes them (hi * 2^20 + (lo >>> 12)), drawn from a small pool so that they repeat. */
function tupleList(seed: number, n: number, distinct: number): Float64Array {
  const rnd = seededRandom(seed)
  const pool = Array.from({ length: distinct }, () => Math.floor(rnd() * 2 ** 32) * 2 ** 20 + Math.floor(rnd() * 2 ** 20))
  return Float64Array.from({ length: n }, () => pool[Math.floor(rnd() * distinct)])
}

/**
 * The pool as it was computed per token before it was deferred: per document
 * and key, the document's first occurrences go into the key's open shard, which
 * closes after the document that brings it to `cap` unique tuples; the block's
 * end closes the rest. The reference the deferred pool must equal bit for bit.
 */
function referenceParts(keys: WatermarkKey[], docs: Uint32Array[], cap: number): PooledPart[] {
  const wms = keys.map((k) => createWatermarker(k))
  const open = keys.map(() => ({ seen: new Set<number>(), sum: 0 }))
  const parts: PooledPart[] = []
  const close = (k: number) => {
    if (open[k].seen.size > 0) parts.push({ keyIndex: k, n: open[k].seen.size, sum: open[k].sum })
    open[k] = { seen: new Set(), sum: 0 }
  }
  for (const ids of docs) {
    for (let k = 0; k < keys.length; k++) {
      const s = scoreTokens(wms[k], ids)
      const inDoc = new Set<number>()
      for (let i = 0; i < s.count; i++) {
        const t = s.tuple[i]
        if (inDoc.has(t)) continue
        inDoc.add(t)
        if (!open[k].seen.has(t)) {
          open[k].seen.add(t)
          open[k].sum += s.score[i]
        }
      }
      if (open[k].seen.size >= cap) close(k)
    }
  }
  for (let k = 0; k < keys.length; k++) close(k)
  return parts
}

describe('keys that share their dedup', () => {
  it('give each key the document test it gets alone: several keys\' record is the best single key\'s at the Bonferroni price', () => {
    const rnd = seededRandom(9)
    const keys = [generateKey({ scheme: 'gumbel' }), generateKey({ scheme: 'gumbel' }), generateKey({ scheme: 'synthid', h: 4 }), generateKey({ scheme: 'kgw', seeding: 'left', h: 4 })]
    const passages = Array.from({ length: 6 }, () => Array.from({ length: 30 + Math.floor(rnd() * 120) }, () => Math.floor(rnd() * 100_277)))
    const docs = Array.from({ length: 40 }, () => Uint32Array.from(Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => passages[Math.floor(rnd() * passages.length)]).flat()))
    const together = createScorer(keys)
    const alone = keys.map((k) => createScorer([k]))
    docs.forEach((ids, i) => {
      const m = new Map([['cl100k_base', ids]])
      const got = together.scoreIds(m, { file: 'x' }, i)
      const singles = alone.map((a) => a.scoreIds(m, { file: 'x' }, i))
      const best = singles.reduce((a, b) => (b.log10PValue < a.log10PValue ? b : a))
      expect(got.keyId).toBe(best.keyId)
      expect(got.scored).toBe(best.scored)
      expect(got.log10PValue).toBeCloseTo(Math.min(0, best.log10PValue + Math.log10(keys.length)), 9)
    })
  })
})

describe('the deferred corpus pool', () => {
  it('marks exactly the first occurrence of each value, in small and partitioned lists', () => {
    for (const [n, distinct] of [[0, 1], [1, 1], [300, 50], [4096, 4000], [4097, 100], [200_000, 150_000], [200_000, 9]]) {
      const t = tupleList(n + distinct, n, distinct)
      if (n > 10) t[n - 1] = 0 // the smallest tuple id, next to the table's empty marker
      const first = new Uint8Array(n)
      const got = markFirstOccurrences(t, n, first)
      const seen = new Set<number>()
      const want = Uint8Array.from(t, (x) => (seen.has(x) ? 0 : (seen.add(x), 1)))
      expect(got, `${n} tuples`).toBe(seen.size)
      const wrong = want.findIndex((w, i) => first[i] !== w)
      expect(wrong, `${n} tuples: first wrong mark`).toBe(-1)
    }
  })

  it('gives the per-token pool\'s parts bit for bit: block-end pooling, shards closing mid-block, several keys', () => {
    const rnd = seededRandom(5)
    // Two gumbel keys, synthid and kgw with left seeding share their dedup (whole-window
    // seeding, same width); kgw with SelfHash seeds from one token of the window and keeps its own.
    const keys = [
      generateKey({ scheme: 'gumbel' }),
      generateKey({ scheme: 'kgw' }),
      generateKey({ scheme: 'synthid', h: 4 }),
      generateKey({ scheme: 'gumbel' }),
      generateKey({ scheme: 'kgw', seeding: 'left', h: 4 }),
      generateKey({ scheme: 'gumbel', h: 2 }),
    ]
    // Documents with repeated passages (so tuples repeat within and across documents).
    const passages = Array.from({ length: 12 }, () => Array.from({ length: 40 + Math.floor(rnd() * 200) }, () => Math.floor(rnd() * 100_277)))
    const docs = Array.from({ length: 60 }, () => Uint32Array.from(Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => passages[Math.floor(rnd() * passages.length)]).flat()))
    // cap 1e9: pooled at the block's end in one pass; 500 and 2000: shards close
    // inside the block, and the held-back tuples are pooled as they come.
    for (const cap of [1e9, 500, 2000]) {
      const scorer = createScorer(keys, { shardTuples: cap })
      docs.forEach((ids, i) => scorer.scoreIds(new Map([['cl100k_base', ids]]), { file: 'x' }, i))
      const parts = scorer.pooled()
      expect(parts, `cap ${cap}`).toEqual(referenceParts(keys, docs, cap))
      // One part per key, or more when shards closed inside the block (the 12
      // passages give a few thousand distinct tuples per key).
      if (cap === 1e9) expect(parts.length).toBe(keys.length)
      else expect(parts.length, `cap ${cap}: shards closed inside the block`).toBeGreaterThan(keys.length)
      expect(scorer.pooled(), 'pooled() forgets what it returned').toEqual([])
    }
  })
})

describe('buffers after an outsized document', () => {
  it('give the same records and pool as fresh ones, before and after a document past every per-document cap', () => {
    const rnd = seededRandom(21)
    // Two grouped keys (a leader's marks, a follower) and a key with its own dedup.
    const keys = [generateKey({ scheme: 'gumbel' }), generateKey({ scheme: 'gumbel' }), generateKey({ scheme: 'kgw', gamma: 0.25 })]
    const passage = () => Array.from({ length: 300 }, () => Math.floor(rnd() * 100_000))
    const short = Uint32Array.from([...passage(), ...passage()])
    // 2^18 + 20,000 tokens, with repeats: past DOCUMENT_SCRATCH (2^18), so this
    // document's buffers are its own and the next document's are capped again.
    const parts = Array.from({ length: 8 }, passage)
    const long = Uint32Array.from({ length: 2 ** 18 + 20_000 }, (_, i) => (parts[Math.floor(i / 300) % 8][i % 300] + (i % 7 === 0 ? i : 0)) % 100_000)
    const docs = [short, long, short]
    const scorer = createScorer(keys)
    const records = docs.map((ids, i) => scorer.scoreIds(new Map([['cl100k_base', ids]]), { file: 'x' }, i))
    const fresh = docs.map((ids, i) => createScorer(keys).scoreIds(new Map([['cl100k_base', ids]]), { file: 'x' }, i))
    expect(records).toEqual(fresh)
    expect(records[2]).toEqual({ ...records[0], index: 2 })
    expect(scorer.pooled()).toEqual(referenceParts(keys, docs, 4_000_000))
  })

  it('count a long document\'s tuples as the per-document set does, alone and in a key group', () => {
    // Past 2^16 tuples a document is deduplicated by partition instead of in the set:
    // its count of unique tuples and its p-value must be detect()'s, which counts with a Set.
    const rnd = seededRandom(33)
    const keys = [
      generateKey({ scheme: 'gumbel' }),
      generateKey({ scheme: 'gumbel', nonces: 4 }),
      generateKey({ scheme: 'kgw' }),
      generateKey({ scheme: 'synthid', h: 4 }),
    ]
    const passage = () => Array.from({ length: 500 }, () => Math.floor(rnd() * 100_000))
    const parts = Array.from({ length: 30 }, passage)
    // Repeated passages with a few changed tokens: tuples repeat, and not only in whole runs.
    const doc = (n: number) => Uint32Array.from({ length: n }, (_, i) => (i % 11 === 0 ? Math.floor(rnd() * 100_000) : parts[Math.floor(i / 500) % 30][i % 500]))
    for (const n of [2 ** 16 + 10, 150_000]) {
      const ids = doc(n)
      const byMap = new Map([['cl100k_base', ids]])
      for (const key of keys) {
        const r = createScorer([key]).scoreIds(byMap, { file: 'x' }, 0)
        expect(r.scored, `${key.spec.scheme} ${n}`).toBe(uniqueScores(scoreTokens(createWatermarker(key), ids)).n)
        expect(r.log10PValue, `${key.spec.scheme} ${n}`).toBeCloseTo(detect(ids, key).log10PValue, 9)
      }
      // Keys 0 and 3 share their dedup: the follower reads the leader's marks.
      const grouped = createScorer([keys[0], keys[3]]).scoreIds(byMap, { file: 'x' }, 0)
      const best = Math.min(detect(ids, keys[0]).log10PValue, detect(ids, keys[3]).log10PValue)
      expect(grouped.log10PValue).toBeCloseTo(Math.min(0, best + Math.log10(2)), 9)
    }
  })

  it('keep a block pool\'s held-back tuples when its arrays shrink back under the cap', () => {
    const b = createPendingPool()
    b.reserve(BLOCK_SCRATCH + 1)
    expect(b.tuples.length).toBe(BLOCK_SCRATCH + 1)
    for (let i = 0; i < 3; i++) b.push(i * 2 ** 30, i / 4)
    b.reserve(10)
    expect(b.tuples.length).toBe(BLOCK_SCRATCH)
    expect(Array.from(b.tuples.subarray(0, 3))).toEqual([0, 2 ** 30, 2 ** 31])
    expect(Array.from(b.scores.subarray(0, 3))).toEqual([0, 0.25, 0.5])
    expect(b.scores.length).toBe(b.tuples.length)
  })
})

describe('fitScratch', () => {
  it('keeps a buffer that fits under the cap, doubles one that does not, sizes one past the cap to the need alone', () => {
    const make = (n: number) => new Float64Array(n)
    const a = new Float64Array(100)
    expect(fitScratch(a, 80, 1000, make)).toBe(a)
    expect(fitScratch(a, 150, 1000, make).length).toBe(200)
    expect(fitScratch(a, 900, 1000, make).length).toBe(900)
    expect(fitScratch(new Float64Array(600), 700, 1000, make).length).toBe(1000)
    const big = fitScratch(a, 5000, 1000, make)
    expect(big.length).toBe(5000)
    expect(fitScratch(big, 4000, 1000, make)).toBe(big)
    expect(fitScratch(big, 6000, 1000, make).length).toBe(6000)
    expect(fitScratch(big, 10, 1000, make).length).toBe(1000)
  })
})
