/**
 * sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, 128-bit state, passes
 * PractRand) from four 32-bit words: a seeded uniform source for reproducible
 * sampling in tests, demos and evaluation. Not for keys.
 */
export function sfc32(a: number, b: number, c: number, d: number): () => number {
  a |= 0
  b |= 0
  c |= 0
  d |= 0
  return () => {
    const t = (((a + b) | 0) + d) | 0
    d = (d + 1) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (c << 21) | (c >>> 11)
    c = (c + t) | 0
    return (t >>> 0) / 4294967296
  }
}

/** A uniform [0, 1) source from one integer seed (sfc32 after a warm-up). */
export function seededRandom(seed: number): () => number {
  const next = sfc32(0x9e3779b9, 0x243f6a88, 0xb7e15162, seed | 0)
  for (let i = 0; i < 15; i++) next()
  return next
}
