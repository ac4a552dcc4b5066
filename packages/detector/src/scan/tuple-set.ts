/**
 * A set of tuple ids (integers below 2^53, as scoreTokens gives them) with open
 * addressing over typed arrays. The scorer asks it two or three questions per
 * token (seen in this document? common? new to the corpus pool?), and a
 * `Set<number>` of doubles cost more than the PRF itself; this one costs a
 * multiply and a probe. `clear()` is O(1) (a generation stamp), so one set can
 * serve every document.
 */
export interface TupleSet {
  readonly size: number
  /** Adds `t`; true when it was not there. */
  add(t: number): boolean
  has(t: number): boolean
  clear(): void
}

const TWO32 = 2 ** 32

/** A set sized for about `expected` tuples; it grows as needed. */
export function createTupleSet(expected = 1024): TupleSet {
  let bits = Math.max(4, Math.ceil(Math.log2(expected * 2)))
  let keys = new Float64Array(1 << bits)
  let stamp = new Uint32Array(1 << bits)
  let gen = 1
  let size = 0
  let mask = (1 << bits) - 1
  // Tuples are PRF outputs in the high 32 bits: mixing both halves spreads them.
  const slot = (t: number) => Math.imul((t >>> 0) ^ Math.floor(t / TWO32), 0x9e3779b1) >>> (32 - bits)

  const grow = () => {
    const oldKeys = keys
    const oldStamp = stamp
    const oldGen = gen
    bits++
    keys = new Float64Array(1 << bits)
    stamp = new Uint32Array(1 << bits)
    mask = (1 << bits) - 1
    gen = 1
    for (let i = 0; i < oldKeys.length; i++) {
      if (oldStamp[i] !== oldGen) continue
      const t = oldKeys[i]
      let j = slot(t)
      while (stamp[j] === gen) j = (j + 1) & mask
      keys[j] = t
      stamp[j] = gen
    }
  }

  return {
    get size() {
      return size
    },
    add(t) {
      let j = slot(t)
      while (stamp[j] === gen) {
        if (keys[j] === t) return false
        j = (j + 1) & mask
      }
      keys[j] = t
      stamp[j] = gen
      if (++size * 2 > keys.length) grow()
      return true
    },
    has(t) {
      let j = slot(t)
      while (stamp[j] === gen) {
        if (keys[j] === t) return true
        j = (j + 1) & mask
      }
      return false
    },
    clear() {
      size = 0
      if (++gen === 0xffffffff) {
        stamp.fill(0)
        gen = 1
      }
    },
  }
}
