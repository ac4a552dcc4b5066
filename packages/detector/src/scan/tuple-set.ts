/**
 * A set of tuple ids (integers in [0, 2^52), as scoreTokens gives them) with open
 * addressing over one typed array. The scorer asks it two or three questions per
 * token (seen in this document? common? new to the block's pool?), and a
 * `Set<number>` of doubles cost more than the PRF itself; this one costs a
 * multiply and a probe.
 *
 * A slot holds t + 1 (exact below 2^53), so 0 marks an empty slot and a probe
 * touches one array: the pool's table outgrows the L2 cache, and a separate
 * array of occupancy stamps cost a second cache miss per probe (measured: the
 * set was a quarter of the scorer's time). `clear()` zeroes the table, or
 * shrinks it back when the last fill used a small part of it (one huge document
 * must not make every later document pay for clearing its table).
 */
export interface TupleSet {
  readonly size: number
  /** Adds `t`; true when it was not there. */
  add(t: number): boolean
  has(t: number): boolean
  clear(): void
}

/**
 * A tuple's 32-bit hash. Tuples are keyed PRF outputs, random in every bit: their
 * low 32 bits (ToUint32, a truncation) suffice, spread by one multiply. Folding in
 * the high half took a division per probe.
 */
export const tupleHash = (t: number): number => Math.imul(t >>> 0, 0x9e3779b1) >>> 0

/** A set sized for about `expected` tuples; it grows as needed. */
export function createTupleSet(expected = 1024): TupleSet {
  const initialBits = Math.max(4, Math.ceil(Math.log2(expected * 2)))
  let bits = initialBits
  let keys = new Float64Array(1 << bits)
  let size = 0
  let mask = (1 << bits) - 1
  const slot = (t: number) => tupleHash(t) >>> (32 - bits)

  const grow = () => {
    const old = keys
    bits++
    keys = new Float64Array(1 << bits)
    mask = (1 << bits) - 1
    for (let i = 0; i < old.length; i++) {
      const k = old[i]
      if (k === 0) continue
      let j = slot(k - 1)
      while (keys[j] !== 0) j = (j + 1) & mask
      keys[j] = k
    }
  }

  return {
    get size() {
      return size
    },
    add(t) {
      const k = t + 1
      let j = slot(t)
      for (let v = keys[j]; v !== 0; v = keys[j]) {
        if (v === k) return false
        j = (j + 1) & mask
      }
      keys[j] = k
      if (++size * 2 > keys.length) grow()
      return true
    },
    has(t) {
      const k = t + 1
      let j = slot(t)
      for (let v = keys[j]; v !== 0; v = keys[j]) {
        if (v === k) return true
        j = (j + 1) & mask
      }
      return false
    },
    clear() {
      if (size === 0) return
      if (bits > initialBits + 2 && size * 16 < keys.length) {
        bits = initialBits
        keys = new Float64Array(1 << bits)
        mask = (1 << bits) - 1
      } else keys.fill(0)
      size = 0
    },
  }
}
