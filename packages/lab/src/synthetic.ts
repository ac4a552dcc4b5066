/**
 * A synthetic next-token distribution that looks like a language model's where it
 * matters to a watermark: a full 100k vocabulary, a Zipf-shaped (heavy-tailed)
 * distribution whose exponent varies with the context so entropy ranges over
 * roughly 2.5-4.5 nats, and the same context always giving the same logits (so
 * repeated windows behave as they do with a real model). Costs one pass over the
 * vocabulary per step, with no transcendental calls.
 */
export interface SyntheticModel {
  readonly vocabSize: number
  /** Log-probabilities (up to a constant) of the next token after `context`. */
  logits(context: ArrayLike<number>, out?: Float32Array): Float32Array
}

function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d)
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b)
  return (h ^ (h >>> 16)) >>> 0
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b]
  return a
}

export function createSyntheticModel(options: { vocabSize?: number; seed?: number } = {}): SyntheticModel {
  const V = options.vocabSize ?? 100_277
  const seed = options.seed ?? 1
  const logRank = new Float64Array(V)
  for (let r = 0; r < V; r++) logRank[r] = -Math.log(r + 1)
  return {
    vocabSize: V,
    logits(context, out = new Float32Array(V)) {
      const n = context.length
      let h = mix(seed ^ 0x9e3779b9)
      h = mix(h ^ (n > 0 ? context[n - 1] : 0x51ed))
      h = mix(h ^ (n > 1 ? context[n - 2] : 0x2718))
      // The context picks a permutation of ranks (x -> a*x + b mod V, a coprime to V)
      // and a Zipf exponent in [1.3, 1.7].
      let a = (mix(h ^ 1) % (V - 1)) + 1
      while (gcd(a, V) !== 1) a = (a % (V - 1)) + 1
      const b = mix(h ^ 2) % V
      const s = 1.3 + 0.4 * (mix(h ^ 3) / 4294967296)
      let idx = b
      for (let x = 0; x < V; x++) {
        out[x] = s * logRank[idx]
        idx += a
        if (idx >= V) idx -= V
      }
      return out
    },
  }
}
