import { describe, expect, it } from 'vitest'
import { gfDiv, gfInv, gfMul, interpolate, polyEval } from '../src/fingerprint/gf256.js'
import { rsCode, rsDecode, rsEncode, rsFromPositions } from '../src/fingerprint/reedsolomon.js'
import { seededRandom } from '../src/random.js'

const rnd = seededRandom(42)
const byte = () => Math.floor(rnd() * 256)

describe('GF(256)', () => {
  it('every nonzero element has an inverse and multiplication distributes over xor', () => {
    for (let a = 1; a < 256; a++) {
      expect(gfMul(a, gfInv(a))).toBe(1)
      expect(gfDiv(gfMul(a, 37), 37)).toBe(a)
    }
    for (let i = 0; i < 2000; i++) {
      const a = byte(), b = byte(), c = byte()
      expect(gfMul(a, b ^ c)).toBe(gfMul(a, b) ^ gfMul(a, c))
      expect(gfMul(gfMul(a, b), c)).toBe(gfMul(a, gfMul(b, c)))
    }
  })

  it('interpolation passes through its points', () => {
    const xs = [1, 2, 4, 8, 16, 32]
    const ys = xs.map(() => byte())
    const p = interpolate(xs, ys)
    xs.forEach((x, i) => expect(polyEval(p, x)).toBe(ys[i]))
  })
})

describe('Reed–Solomon RS(32, 4) over GF(256)', () => {
  const code = rsCode(32, 4)
  const radius = Math.floor((code.n - code.k) / 2) // 14

  it('round-trips random messages', () => {
    for (let t = 0; t < 300; t++) {
      const m = Uint8Array.from({ length: 4 }, byte)
      expect(Array.from(rsDecode(code, rsEncode(code, m))!)).toEqual(Array.from(m))
    }
  })

  it(`corrects every pattern of up to ${radius} symbol errors`, () => {
    for (let t = 0; t < 600; t++) {
      const m = Uint8Array.from({ length: 4 }, byte)
      const r: number[] = Array.from(rsEncode(code, m))
      const e = t % (radius + 1)
      const pos = Array.from({ length: code.n }, (_, i) => i).sort(() => rnd() - 0.5).slice(0, e)
      for (const p of pos) r[p] ^= 1 + Math.floor(rnd() * 255)
      expect(Array.from(rsDecode(code, r)!), `${e} errors`).toEqual(Array.from(m))
    }
  })

  it('corrects e erasures plus floor((n - e - k) / 2) errors', () => {
    for (let t = 0; t < 300; t++) {
      const m = Uint8Array.from({ length: 4 }, byte)
      const r: number[] = Array.from(rsEncode(code, m))
      const erasures = t % 25
      const errors = Math.floor((code.n - erasures - code.k) / 2)
      const pos = Array.from({ length: code.n }, (_, i) => i).sort(() => rnd() - 0.5)
      pos.slice(0, erasures).forEach((p) => (r[p] = -1))
      pos.slice(erasures, erasures + errors).forEach((p) => (r[p] ^= 1 + Math.floor(rnd() * 255)))
      expect(Array.from(rsDecode(code, r)!), `${erasures} erasures, ${errors} errors`).toEqual(Array.from(m))
    }
  })

  it('never returns a wrong message: beyond the radius it returns null or a codeword within radius of the word', () => {
    for (let t = 0; t < 300; t++) {
      const m = Uint8Array.from({ length: 4 }, byte)
      const r: number[] = Array.from(rsEncode(code, m))
      for (let p = 0; p < radius + 1 + (t % 10); p++) r[p] ^= 1 + Math.floor(rnd() * 255)
      const d = rsDecode(code, r)
      if (d) {
        const cw = rsEncode(code, d)
        const dist = cw.reduce((a, c, i) => a + (c !== r[i] ? 1 : 0), 0)
        expect(dist).toBeLessThanOrEqual(radius)
      }
    }
  })

  it('distinct codewords agree in at most k - 1 positions; any k positions determine the message', () => {
    for (let t = 0; t < 300; t++) {
      const a = Uint8Array.from({ length: 4 }, byte)
      const b = Uint8Array.from({ length: 4 }, byte)
      if (a.every((x, i) => x === b[i])) continue
      const ca = rsEncode(code, a), cb = rsEncode(code, b)
      expect(ca.reduce((s, c, i) => s + (c === cb[i] ? 1 : 0), 0)).toBeLessThanOrEqual(3)
      const pos = [t % 32, (t + 5) % 32, (t + 11) % 32, (t + 23) % 32]
      expect(Array.from(rsFromPositions(code, pos, pos.map((p) => ca[p])))).toEqual(Array.from(a))
    }
  })
})
