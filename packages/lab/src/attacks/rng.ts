/**
 * Seeded randomness for the attacks. Every attack is a pure function of
 * (text, strength, seed), so nothing here touches Math.random: sfc32 (Chris Doty-Humphrey's
 * small fast counter generator, 128-bit state, passes PractRand) seeded through
 * splitmix32, which spreads nearby seeds (0, 1, 2 …) into unrelated states.
 */
import { sfc32 } from '@tracemark/watermark'

/** A generator of uniform floats in [0, 1). */
export type Rng = () => number

function splitmix32(x: number): number {
  x = (x + 0x9e3779b9) | 0
  let z = x
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
  return (z ^ (z >>> 16)) >>> 0
}

/** FNV-1a over UTF-16 code units: turns a stream label into 32 bits. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
  return h >>> 0
}

/**
 * sfc32 seeded from `seed` (any finite number; fractions are truncated, and integers up to
 * 2^53 stay distinct) and a `stream` label, so two attacks given the same seed still draw
 * independent sequences.
 */
export function createRng(seed: number, stream = ''): Rng {
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`)
  const s0 = Math.trunc(seed) >>> 0
  const hi = Math.trunc(seed / 2 ** 32) >>> 0 // keep seeds beyond 2^32 distinct
  const a = splitmix32(s0 ^ fnv1a(stream))
  const b = splitmix32(a ^ hi)
  const c = splitmix32(b ^ 0x6a09e667)
  const next = sfc32(a, b, c, 1) // sfc32's counter starts at 1
  for (let i = 0; i < 12; i++) next() // discard the warm-up, as sfc32's author recommends
  return next
}

/** Uniform integer in [0, n). */
export function randInt(rng: Rng, n: number): number {
  return Math.floor(rng() * n)
}

/** A uniform element of a non-empty array. */
export function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[randInt(rng, items.length)]
}

/**
 * `k` distinct indices from [0, n), uniformly without replacement, in ascending order
 * (partial Fisher–Yates: O(n) memory, O(k) swaps).
 */
export function sampleIndices(rng: Rng, n: number, k: number): number[] {
  if (k > n) throw new RangeError(`cannot sample ${k} of ${n}`)
  const idx = new Uint32Array(n)
  for (let i = 0; i < n; i++) idx[i] = i
  for (let i = 0; i < k; i++) {
    const j = i + randInt(rng, n - i)
    const t = idx[i]
    idx[i] = idx[j]
    idx[j] = t
  }
  return Array.from(idx.subarray(0, k)).sort((x, y) => x - y)
}

/** Throw unless `strength` is a number in [0, 1]: a silent clamp would hide eval bugs. */
export function checkStrength(strength: number): void {
  if (!(strength >= 0 && strength <= 1)) throw new RangeError(`strength must be in [0, 1], got ${strength}`)
}

/**
 * The number of units an attack edits out of `n`: round(strength × n). Every attack
 * counts this way, so "strength 0.2" means the same share whatever the unit.
 */
export function countFor(strength: number, n: number): number {
  checkStrength(strength)
  return Math.round(strength * n)
}
