/**
 * Arithmetic in GF(2^8) with the primitive polynomial x^8 + x^4 + x^3 + x^2 + 1
 * (0x11d, the Reed–Solomon convention of QR codes and CCSDS), by log/antilog tables.
 * Polynomials are Uint8Arrays of coefficients, lowest degree first.
 */

/** Antilog table, doubled (EXP[i] = alpha^(i mod 255) for i < 512). */
export const EXP = new Uint8Array(512)
/** Log table (LOG[0] is unused). */
export const LOG = new Uint8Array(256)
{
  let x = 1
  for (let i = 0; i < 255; i++) {
    EXP[i] = x
    LOG[x] = i
    x <<= 1
    if (x & 0x100) x ^= 0x11d
  }
  // Doubled so exp(log a + log b) needs no modulo.
  for (let i = 255; i < 512; i++) EXP[i] = EXP[i - 255]
}

/** Full product table, MUL[a * 256 + b] = a * b: one load per product in decoding's inner loops. */
export const MUL = new Uint8Array(65536)
for (let a = 1; a < 256; a++) for (let b = 1; b < 256; b++) MUL[(a << 8) | b] = EXP[LOG[a] + LOG[b]]

export function gfMul(a: number, b: number): number {
  return a === 0 || b === 0 ? 0 : EXP[LOG[a] + LOG[b]]
}

export function gfDiv(a: number, b: number): number {
  if (b === 0) throw new RangeError('division by zero in GF(256)')
  return a === 0 ? 0 : EXP[LOG[a] + 255 - LOG[b]]
}

export function gfInv(a: number): number {
  return gfDiv(1, a)
}

/** alpha^i for the generator alpha = 2. */
export function gfPow2(i: number): number {
  return EXP[((i % 255) + 255) % 255]
}

/** Degree of a polynomial (-1 for the zero polynomial). */
export function polyDeg(p: Uint8Array): number {
  for (let i = p.length - 1; i >= 0; i--) if (p[i] !== 0) return i
  return -1
}

export function polyEval(p: Uint8Array, x: number): number {
  let y = 0
  for (let i = p.length - 1; i >= 0; i--) y = gfMul(y, x) ^ p[i]
  return y
}

export function polyMul(a: Uint8Array, b: Uint8Array): Uint8Array {
  const da = polyDeg(a), db = polyDeg(b)
  if (da < 0 || db < 0) return new Uint8Array(1)
  const out = new Uint8Array(da + db + 1)
  for (let i = 0; i <= da; i++) {
    if (a[i] === 0) continue
    for (let j = 0; j <= db; j++) out[i + j] ^= gfMul(a[i], b[j])
  }
  return out
}

export function polyAdd(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.max(a.length, b.length))
  out.set(a)
  for (let i = 0; i < b.length; i++) out[i] ^= b[i]
  return out
}

/** Quotient and remainder of a / b. */
export function polyDivMod(a: Uint8Array, b: Uint8Array): { q: Uint8Array; r: Uint8Array } {
  const db = polyDeg(b)
  if (db < 0) throw new RangeError('polynomial division by zero')
  const r = Uint8Array.from(a)
  let dr = polyDeg(r)
  const q = new Uint8Array(Math.max(1, dr - db + 1))
  const lead = gfInv(b[db])
  while (dr >= db) {
    const c = gfMul(r[dr], lead)
    const shift = dr - db
    q[shift] = c
    for (let i = 0; i <= db; i++) r[i + shift] ^= gfMul(c, b[i])
    dr = polyDeg(r)
  }
  return { q, r }
}

/** P(x) = prod_j (x - x_j), coefficients from degree 0 (n + 1 of them), without a polynomial per factor. */
export function nodePolynomial(xs: ArrayLike<number>): Uint8Array {
  const n = xs.length
  const p = new Uint8Array(n + 1)
  p[0] = 1
  for (let j = 0; j < n; j++) {
    const a = xs[j]
    for (let d = j + 1; d >= 1; d--) p[d] = p[d - 1] ^ MUL[(p[d] << 8) | a]
    p[0] = MUL[(p[0] << 8) | a]
  }
  return p
}

/** The polynomial of degree < xs.length through the points (xs[i], ys[i]) (Lagrange). */
export function interpolate(xs: ArrayLike<number>, ys: ArrayLike<number>): Uint8Array {
  const n = xs.length
  const out = new Uint8Array(n)
  // P(x) once; basis i's numerator is P(x) / (x - x_i), by synthetic division:
  // O(n^2) in all, where a product per basis was O(n^3) and allocated a polynomial
  // per factor (the hard-decision decode of every scanned document interpolates 32
  // points). Subtraction is xor.
  const p = nodePolynomial(xs)
  const q = new Uint8Array(n)
  for (let i = 0; i < n; i++) {
    if (ys[i] === 0) continue
    const a = xs[i]
    // P(x) = (x + a) Q(x): q_{k-1} = p_k + a q_k, from the top.
    q[n - 1] = p[n]
    for (let k = n - 1; k >= 1; k--) q[k - 1] = p[k] ^ MUL[(a << 8) | q[k]]
    let denom = 1
    for (let j = 0; j < n; j++) if (j !== i) denom = MUL[(denom << 8) | (a ^ xs[j])]
    const scale = gfDiv(ys[i], denom)
    for (let k = 0; k < n; k++) out[k] ^= MUL[(q[k] << 8) | scale]
  }
  return out
}
