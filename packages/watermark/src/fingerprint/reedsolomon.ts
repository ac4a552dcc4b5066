import { gfPow2, interpolate, MUL, nodePolynomial, polyAdd, polyDeg, polyDivMod, polyEval, polyMul } from './gf256.js'

/**
 * Reed–Solomon codes in evaluation form over GF(256): the k message bytes are the
 * coefficients of f (degree < k) and the codeword is f evaluated at n distinct
 * points alpha^0 .. alpha^(n-1). Two distinct codewords agree in at most k - 1
 * positions (minimum distance n - k + 1), which bounds false attribution.
 */
export interface RsCode {
  readonly n: number
  readonly k: number
  /** Evaluation point of each position. */
  readonly points: Uint8Array
}

export function rsCode(n: number, k: number): RsCode {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`RS dimension must be >= 1, got ${k}`)
  if (!Number.isInteger(n) || n <= k || n > 255) throw new RangeError(`RS length must be in (${k}, 255], got ${n}`)
  return { n, k, points: Uint8Array.from({ length: n }, (_, i) => gfPow2(i)) }
}

export function rsEncode(code: RsCode, message: Uint8Array): Uint8Array {
  const k = code.k
  if (message.length !== k) throw new RangeError(`message must be ${k} bytes, got ${message.length}`)
  // Horner through the product table: a scan encodes every candidate account it
  // tests (16 per decoded document), and a mapping callback per point was a
  // twentieth of a race key's scoring.
  const out = new Uint8Array(code.n)
  for (let p = 0; p < code.n; p++) {
    const x = code.points[p]
    let y = 0
    for (let i = k - 1; i >= 0; i--) y = MUL[(y << 8) | x] ^ message[i]
    out[p] = y
  }
  return out
}

/** The message whose codeword takes `values` at `positions` (exactly k of them). */
export function rsFromPositions(code: RsCode, positions: ArrayLike<number>, values: ArrayLike<number>): Uint8Array {
  if (positions.length !== code.k) throw new RangeError(`need exactly ${code.k} positions`)
  const xs = Uint8Array.from(positions as ArrayLike<number>, (p) => code.points[p])
  const f = interpolate(xs, values)
  const out = new Uint8Array(code.k)
  out.set(f.subarray(0, code.k))
  return out
}

/**
 * Hard-decision errors-and-erasures decoding (Gao 2003): `received[i]` is the
 * symbol at position i, or -1 for an erasure. With e erasures it corrects up to
 * floor((n - e - k) / 2) errors. Returns the message, or null when there are more
 * errors than that (detected, never a silent wrong answer within the radius).
 */
export function rsDecode(code: RsCode, received: ArrayLike<number>): Uint8Array | null {
  const xs: number[] = []
  const ys: number[] = []
  for (let i = 0; i < code.n; i++) {
    if (received[i] >= 0) {
      xs.push(code.points[i])
      ys.push(received[i])
    }
  }
  const m = xs.length
  const k = code.k
  if (m < k) return null
  // g0 = prod (x - x_i); g1 interpolates the received values.
  const g0 = nodePolynomial(xs)
  const g1 = interpolate(xs, ys)
  // Partial extended Euclid: stop when deg(remainder) < (m + k) / 2.
  let r0: Uint8Array = g0, r1: Uint8Array = g1
  let v0: Uint8Array = Uint8Array.of(0), v1: Uint8Array = Uint8Array.of(1)
  while (polyDeg(r1) >= (m + k) / 2) {
    const { q, r } = polyDivMod(r0, r1)
    const v2 = polyAdd(v0, polyMul(q, v1))
    r0 = r1
    r1 = r
    v0 = v1
    v1 = v2
  }
  if (polyDeg(v1) < 0) return null
  const { q: f, r } = polyDivMod(r1, v1)
  if (polyDeg(r) >= 0 || polyDeg(f) >= k) return null
  const out = new Uint8Array(k)
  out.set(f.subarray(0, Math.min(k, f.length)))
  // Within the radius the answer is unique; confirm the error count anyway.
  let errors = 0
  for (let i = 0; i < m; i++) if (polyEval(out, xs[i]) !== ys[i]) errors++
  return 2 * errors <= m - k ? out : null
}
