/**
 * Byte-level BPE for one pre-tokenized piece (tiktoken's algorithm), over a rank
 * table read in place.
 *
 * Why not gpt-tokenizer's own: it looks a piece up in a `Map<string, number>` of
 * the vocabulary, and a piece that is no entry is merged pair by pair, each pair
 * a fresh byte view turned back into a string and looked up in that Map. On the
 * bench corpus those lookups were 40 % of tokenizing (a slice per piece, its hash
 * computed by the runtime, then a bucket, an entry and the key's characters).
 * Here a piece is encoded to UTF-8 in a scratch buffer and hashed there; a slot
 * is one int32 (rank and hash bits), the keys' bytes sit in one array in rank
 * order, so the frequent (low-rank) ones share cache lines, and short pieces seen
 * before are answered by a small hot table that holds their bytes.
 * The ids are tiktoken's: the whole piece when it is an entry, else the lowest-
 * ranked adjacent pair merged first, leftmost on ties.
 */
export interface ByteBpe {
  /**
   * Writes the ids of the piece `text[from, to)` to `out` from `n` and returns the
   * new end. `out` needs room for one id per UTF-8 byte (3 per UTF-16 unit).
   */
  encodePiece(text: string, from: number, to: number, out: Uint32Array, n: number): number
  /** The rank of the byte string `bytes[from, to)`, or -1 when it is not a vocabulary entry. */
  rankOfBytes(bytes: Uint8Array, from: number, to: number): number
  /** The byte length of rank `rank`'s entry, or -1 for a rank with no entry. */
  lengthOf(rank: number): number
  /** Copies rank `rank`'s bytes (it must have an entry) to `out` from `at`; returns the new end. */
  writeBytes(rank: number, out: Uint8Array, at: number): number
}

// A key's location in a slot: its first byte's index in 22 bits, its length in 10.
const LEN_BITS = 10
const MAX_LEN = (1 << LEN_BITS) - 1
const MAX_BYTES = 1 << (32 - LEN_BITS)
const NONE = 0x7fffffff
/** Pieces of this many bytes or more merge through the heap (below it, scanning the joins is cheaper). */
const LONG_PIECE = 64
/** A heap key is rank * PART_SPAN + the part's first byte: exact in a double for ranks below 2^24. */
const PART_SPAN = 1 << 20
/**
 * The merge cache: pieces that are no entry, by hash in a direct-mapped table (a
 * new piece replaces the one in its slot), their bytes and ids in two arenas that
 * are emptied, with the table, when either is full: 1.25 MB in all, fixed, where
 * gpt-tokenizer's Map grew to 100,000 strings and id arrays on the heap, and each
 * hit cost a slice of the text and the runtime's string hash. (A quarter of this
 * size tokenized the bench corpus as fast, within noise.)
 */
/** Entries of the hot table of short whole pieces (64 KiB, direct-mapped by hash). */
const HOT_SLOTS = 1 << 12
const CACHE_SLOTS = 1 << 14
const CACHE_BYTES = 1 << 19
const CACHE_IDS = 1 << 17

/** FNV-1a over bytes with a final avalanche, so the low bits index the table. */
function hashBytes(b: Uint8Array, from: number, to: number): number {
  let h = 0x811c9dc5
  for (let i = from; i < to; i++) h = Math.imul(h ^ b[i], 0x01000193)
  h ^= h >>> 15
  h = Math.imul(h, 0x2c1b3c6d)
  return h ^ (h >>> 12)
}

/** Bytes of the UTF-8 of `text`, as {@link utf8Into} writes it. */
function utf8Length(text: string): number {
  let n = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x80) n += 1
    else if (c < 0x800) n += 2
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4
      i++
    } else n += 3
  }
  return n
}

/**
 * UTF-8 of `text[from, to)` into `out` (room for 3 bytes per unit), as TextEncoder
 * writes it: a lone surrogate as U+FFFD. Returns the byte count.
 */
function utf8Into(text: string, from: number, to: number, out: Uint8Array): number {
  let n = 0
  for (let i = from; i < to; i++) {
    let c = text.charCodeAt(i)
    if (c < 0x80) {
      out[n++] = c
      continue
    }
    if (c < 0x800) {
      out[n++] = 0xc0 | (c >> 6)
      out[n++] = 0x80 | (c & 63)
      continue
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const d = i + 1 < to ? text.charCodeAt(i + 1) : 0
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00)
        i++
        out[n++] = 0xf0 | (c >> 18)
        out[n++] = 0x80 | ((c >> 12) & 63)
        out[n++] = 0x80 | ((c >> 6) & 63)
        out[n++] = 0x80 | (c & 63)
        continue
      }
      c = 0xfffd
    }
    out[n++] = 0xe0 | (c >> 12)
    out[n++] = 0x80 | ((c >> 6) & 63)
    out[n++] = 0x80 | (c & 63)
  }
  return n
}

/**
 * Builds the encoder from a vocabulary given rank by rank: each entry the token's
 * text (encoded as UTF-8) or its bytes; holes are unused ranks.
 * @throws RangeError for an empty entry, one past 1,023 bytes, the same bytes at two
 *   ranks, or more than 2^22 bytes in all.
 */
export function createByteBpe(vocabulary: ArrayLike<string | ArrayLike<number> | undefined | null>): ByteBpe {
  // Two passes, sizes then bytes, written straight into one array: a Uint8Array per
  // entry is 100k small allocations outside the heap, whose memory the process kept.
  let total = 0
  let widest = 0
  for (let r = 0; r < vocabulary.length; r++) {
    const v = vocabulary[r]
    if (v === undefined || v === null) continue
    const len = typeof v === 'string' ? utf8Length(v) : v.length
    if (len === 0 || len > MAX_LEN) throw new RangeError(`vocabulary entry of rank ${r} has ${len} bytes (1 to ${MAX_LEN} are supported)`)
    total += len
    widest = Math.max(widest, typeof v === 'string' ? v.length : 0)
  }
  if (total > MAX_BYTES) throw new RangeError(`vocabulary entries hold ${total} bytes in all (at most ${MAX_BYTES} are supported)`)
  const keys = new Uint8Array(total)
  // Each rank's key: its first byte in `keys` << 10 | its length (0: no entry).
  const loc = new Int32Array(vocabulary.length)
  const text = new Uint8Array(3 * widest)
  for (let r = 0, at = 0; r < vocabulary.length; r++) {
    const v = vocabulary[r]
    if (v === undefined || v === null) continue
    let len: number
    if (typeof v === 'string') {
      len = utf8Into(v, 0, v.length, text)
      keys.set(text.subarray(0, len), at)
    } else {
      len = v.length
      for (let i = 0; i < len; i++) keys[at + i] = v[i]
    }
    loc[r] = (at << LEN_BITS) | len
    at += len
  }
  // A slot is one int32: rank + 1 in the low bits (0: empty), and above it as many of
  // the hash's high bits as fit, which rule out nearly every wrong key before its
  // bytes are read. Load factor at most 1/2: a miss (a pair that is no entry) ends
  // within ~2.5 probes. 1 MB for cl100k_base's 100k entries.
  let rankBits = 1
  while (2 ** rankBits <= vocabulary.length) rankBits++
  if (rankBits > 24) throw new RangeError(`a vocabulary of ${vocabulary.length} ranks is more than 2^24`)
  const rankMask = 2 ** rankBits - 1
  const tagShift = rankBits
  let cap = 16
  let entries = 0
  for (let r = 0; r < loc.length; r++) if (loc[r] !== 0) entries++
  while (cap < 2 * entries) cap *= 2
  const mask = cap - 1
  const slots = new Int32Array(cap)
  // The slot holding bytes b[from, to) with hash h, or the empty slot where it would go.
  const find = (b: Uint8Array, from: number, to: number, h: number): number => {
    const len = to - from
    const tag = h >>> tagShift
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const v = slots[s]
      if (v === 0) return s
      if (v >>> tagShift !== tag) continue
      const where = loc[(v & rankMask) - 1]
      if ((where & MAX_LEN) !== len) continue
      let i = from
      for (let j = where >>> LEN_BITS; i < to && b[i] === keys[j]; i++, j++);
      if (i === to) return s
    }
  }
  for (let r = 0; r < loc.length; r++) {
    const where = loc[r]
    if (where === 0) continue
    const from = where >>> LEN_BITS
    const to = from + (where & MAX_LEN)
    const h = hashBytes(keys, from, to)
    const s = find(keys, from, to, h)
    if (slots[s] !== 0) throw new RangeError(`vocabulary ranks ${(slots[s] & rankMask) - 1} and ${r} have the same bytes`)
    slots[s] = ((h >>> tagShift) << tagShift) | (r + 1)
  }
  const rankOfBytes = (b: Uint8Array, from: number, to: number): number => (slots[find(b, from, to, hashBytes(b, from, to))] & rankMask) - 1

  // Scratch, grown as pieces need: the piece's bytes, and per part its start and the rank of it merged with the next.
  let bytes = new Uint8Array(256)
  let starts = new Int32Array(257)
  let ranks = new Int32Array(257)
  let before = new Int32Array(257)
  let heap = new Float64Array(0)
  // Hot slot e at 4e: [hash, length << 24 | rank, bytes 0-3, bytes 4-7] (length 0: empty).
  const hot = new Int32Array(4 * HOT_SLOTS)
  // Cache slot c at 4c: [hash, first byte in cacheBytes + 1 (0: empty), byte count << 16 | id count, first id in cacheIds].
  const cache = new Int32Array(4 * CACHE_SLOTS)
  const cacheBytes = new Uint8Array(CACHE_BYTES)
  const cacheIds = new Uint32Array(CACHE_IDS)
  let bytesUsed = 0
  let idsUsed = 0

  /** The rank of bytes[from, to), a part left by a merge: every single byte is an entry of a byte-level vocabulary, so every part is. */
  const partRank = (from: number, to: number): number => {
    const r = rankOfBytes(bytes, from, to)
    if (r < 0) throw new Error(`byte string of ${to - from} bytes has no rank: the vocabulary is not byte-level`)
    return r
  }

  /** tiktoken's merge of bytes[0, len) (len >= 2), its ids written to out from n. */
  const merge = (len: number, out: Uint32Array, n: number): number => {
    const pairRank = (i: number, m: number): number => (i + 2 <= m ? rankOfBytes(bytes, starts[i], starts[i + 2]) : -1)
    // m parts: starts[0..m] with starts[m] = len; ranks[i] joins parts i and i+1 (NONE: no entry).
    let m = len
    for (let i = 0; i <= len; i++) starts[i] = i
    for (let i = 0; i < m - 1; i++) {
      const r = rankOfBytes(bytes, i, i + 2)
      ranks[i] = r < 0 ? NONE : r
    }
    for (;;) {
      let best = NONE
      let at = -1
      for (let i = 0; i < m - 1; i++) {
        if (ranks[i] < best) {
          best = ranks[i]
          at = i
        }
      }
      if (at < 0) break
      // Join parts at and at + 1: drop starts[at + 1], then re-rank the joins either side.
      starts.copyWithin(at + 1, at + 2, m + 1)
      ranks.copyWithin(at, at + 1, m - 1)
      m--
      const right = pairRank(at, m)
      ranks[at] = right < 0 ? NONE : right
      if (at > 0) {
        const left = pairRank(at - 1, m)
        ranks[at - 1] = left < 0 ? NONE : left
      }
    }
    for (let i = 0; i < m; i++) out[n++] = partRank(starts[i], starts[i + 1])
    return n
  }

  /**
   * The same merge for long pieces, in O(m log m): the scan above finds the lowest
   * rank by reading all m joins at every merge, ~m^2 / 2 reads (a 256-character CJK
   * piece is 768 bytes). Here the joins sit in a binary heap keyed by rank, then by
   * the part's first byte (so ties go to the leftmost, as in the scan); a merge
   * pushes the two joins it changes, and an entry whose join has changed since is
   * skipped when it surfaces. Parts are named by their first byte.
   */
  const mergeLong = (len: number, out: Uint32Array, n: number): number => {
    if (heap.length < 3 * len) heap = new Float64Array(3 * len)
    // starts[s]: the first byte of the part after part s (len: none); ranks[s]: the
    // rank of part s joined with it (-1: no entry, -2: part s was merged away);
    // before[s]: the part before part s (-1: none).
    let size = 0
    const push = (key: number) => {
      let i = size++
      while (i > 0) {
        const up = (i - 1) >> 1
        if (heap[up] <= key) break
        heap[i] = heap[up]
        i = up
      }
      heap[i] = key
    }
    for (let s = 0; s < len; s++) {
      starts[s] = s + 1
      before[s] = s - 1
      const r = s + 2 <= len ? rankOfBytes(bytes, s, s + 2) : -1
      ranks[s] = r
      if (r >= 0) push(r * PART_SPAN + s)
    }
    while (size > 0) {
      const key = heap[0]
      const last = heap[--size]
      let i = 0
      for (;;) {
        let c = 2 * i + 1
        if (c >= size) break
        if (c + 1 < size && heap[c + 1] < heap[c]) c++
        if (heap[c] >= last) break
        heap[i] = heap[c]
        i = c
      }
      heap[i] = last
      const r = Math.floor(key / PART_SPAN)
      const s = key - r * PART_SPAN
      if (ranks[s] !== r) continue
      // Join part s and the next, t; then re-rank s with the part after t, and the part before s with s.
      const t = starts[s]
      const u = starts[t]
      starts[s] = u
      if (u < len) before[u] = s
      ranks[t] = -2
      ranks[s] = u < len ? rankOfBytes(bytes, s, starts[u]) : -1
      if (ranks[s] >= 0) push(ranks[s] * PART_SPAN + s)
      const p = before[s]
      if (p >= 0) {
        ranks[p] = rankOfBytes(bytes, p, u)
        if (ranks[p] >= 0) push(ranks[p] * PART_SPAN + p)
      }
    }
    for (let s = 0; s < len; s = starts[s]) out[n++] = partRank(s, starts[s])
    return n
  }

  return {
    rankOfBytes,
    lengthOf(rank) {
      const where = rank >= 0 && rank < loc.length ? loc[rank] : 0
      return where === 0 ? -1 : where & MAX_LEN
    },
    writeBytes(rank, out, at) {
      const where = loc[rank]
      for (let j = where >>> LEN_BITS, end = j + (where & MAX_LEN); j < end; j++) out[at++] = keys[j]
      return at
    },
    encodePiece(text, from, to, out, n) {
      if (3 * (to - from) > bytes.length) {
        const size = Math.max(3 * (to - from), 2 * bytes.length)
        bytes = new Uint8Array(size)
        starts = new Int32Array(size + 1)
        ranks = new Int32Array(size + 1)
        before = new Int32Array(size + 1)
      }
      const len = utf8Into(text, from, to, bytes)
      const h = hashBytes(bytes, 0, len)
      // Pieces of up to 8 bytes (most of a text's) first try the hot table, whose
      // entries hold their bytes: one load instead of a slot, a location and a key.
      let w0 = 0
      let w1 = 0
      const e = 4 * (h & (HOT_SLOTS - 1))
      if (len <= 8) {
        for (let i = 0; i < len && i < 4; i++) w0 |= bytes[i] << (8 * i)
        for (let i = 4; i < len; i++) w1 |= bytes[i] << (8 * (i - 4))
        if (hot[e] === h && hot[e + 1] >>> 24 === len && hot[e + 2] === w0 && hot[e + 3] === w1) {
          out[n] = hot[e + 1] & 0xffffff
          return n + 1
        }
      }
      const whole = (slots[find(bytes, 0, len, h)] & rankMask) - 1
      if (whole >= 0) {
        if (len <= 8) {
          hot[e] = h
          hot[e + 1] = (len << 24) | whole
          hot[e + 2] = w0
          hot[e + 3] = w1
        }
        out[n] = whole
        return n + 1
      }
      const c = 4 * (h & (CACHE_SLOTS - 1))
      if (cache[c] === h && cache[c + 1] !== 0 && cache[c + 2] >>> 16 === len) {
        let i = 0
        for (let j = cache[c + 1] - 1; i < len && bytes[i] === cacheBytes[j]; i++, j++);
        if (i === len) {
          const count = cache[c + 2] & 0xffff
          out.set(cacheIds.subarray(cache[c + 3], cache[c + 3] + count), n)
          return n + count
        }
      }
      const end = len >= LONG_PIECE && len < PART_SPAN ? mergeLong(len, out, n) : merge(len, out, n)
      // Pieces are at most a few hundred bytes (bounded-runs.ts); a longer one is not kept.
      if (len < 1 << 16 && len <= CACHE_BYTES && end - n <= CACHE_IDS) {
        if (bytesUsed + len > CACHE_BYTES || idsUsed + end - n > CACHE_IDS) {
          cache.fill(0)
          bytesUsed = idsUsed = 0
        }
        cacheBytes.set(bytes.subarray(0, len), bytesUsed)
        cacheIds.set(out.subarray(n, end), idsUsed)
        cache[c] = h
        cache[c + 1] = bytesUsed + 1
        cache[c + 2] = (len << 16) | (end - n)
        cache[c + 3] = idsUsed
        bytesUsed += len
        idsUsed += end - n
      }
      return end
    },
  }
}
