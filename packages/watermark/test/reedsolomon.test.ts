import { describe, expect, it } from 'vitest'
import { gfDiv, gfInv, gfMul, interpolate, polyEval } from '../src/fingerprint/gf256.js'
import { rsCode, rsDecode, rsEncode, rsFromPositions } from '../src/fingerprint/reedsolomon.js'
import { seededRandom } from '../src/random.js'
import { accountCodeword, bytesAccount, fingerprintCode } from '../src/fingerprint/code.js'
import { codewordMatches, decodeCandidates } from '../src/fingerprint/decode.js'

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

describe('list decoding of fingerprint votes', () => {
  // The decoder interpolates every k-subset of the reliable positions through a
  // cache of Lagrange bases and keeps its candidates in a reused table that grows
  // (20 reliable positions give ~24k candidates). Whatever the order subsets are met
  // in, each candidate's matches must be its codeword's, and a second decode of the
  // same votes (warm cache) the first's.
  // 32 bits take the unrolled 4-byte path; 16 and 40 bits (2 and 5 message bytes) the general one.
  it.each([32, 16, 40])('candidates carry their own codeword\'s matches, sorted, the same from a cold or warm cache (%i bits)', (bits) => {
    const f = { embedding: 'race', bits, positions: 32, draw: 'ordered' } as const
    const rnd = seededRandom(5)
    for (let t = 0; t < 6; t++) {
      const counts = new Float64Array(32 * 256)
      const account = Math.floor(rnd() * 2 ** bits)
      const cw = accountCodeword(f, account)
      for (let p = 0; p < 32; p++) {
        for (let c = 0; c < 256; c++) counts[p * 256 + c] = rnd() < 0.3 ? -Math.log(1 - rnd()) : 0
        if (p % 3 !== 0) counts[p * 256 + cw[p]] += 8 // the account leads at two thirds of the positions
      }
      // 20 reliable positions only where the basis cache holds the subsets (k = 4): for k = 5
      // each of its 15,504 subsets would be interpolated afresh, seconds of CI for no new path.
      for (const reliable of bits === 32 ? [12, 20] : [12]) {
        const votes = { counts, positions: 32, scored: 500 }
        const list = decodeCandidates(f, votes, { reliable, limit: 16 })
        expect(list.length).toBe(16)
        expect(list[0].account).toBe(account)
        expect(new Set(list.map((c) => c.account)).size).toBe(16)
        for (let i = 0; i < list.length; i++) {
          expect(list[i].matches).toBe(codewordMatches(counts, accountCodeword(f, list[i].account)))
          if (i > 0) expect(list[i - 1].matches >= list[i].matches).toBe(true)
        }
        // A fresh votes object (no memo): the same list from the filled cache.
        expect(decodeCandidates(f, { counts: counts.slice(), positions: 32, scored: 500 }, { reliable, limit: 16 })).toEqual(list)
      }
    }
  })

  // The decoder keeps only the best `limit` accounts as it goes and reads a
  // candidate's account only when its matches could enter that list. The list must
  // be the best `limit` of every candidate it generates, as enumerating them all
  // gives it: the hard decision, then per k-subset of the reliable positions the
  // best colours and each single runner-up swap. Integer votes on few colours (as
  // quick votes leave them) make many ties, which the smaller account wins.
  it('keeps the best accounts of all its candidates, ties to the smaller account (brute force)', () => {
    const f = { embedding: 'race', bits: 32, positions: 32, draw: 'ordered' } as const
    const code = fingerprintCode(f)
    const r = seededRandom(11)
    for (let t = 0; t < 8; t++) {
      const counts = new Float64Array(32 * 256)
      for (let p = 0; p < 32; p++) for (let v = 0; v < 6; v++) counts[p * 256 + Math.floor(r() * 256)] += 1 + Math.floor(r() * 3)
      if (t % 2) {
        // Half the trials carry an account at half the positions, so a strong candidate fills the list early.
        const cw = accountCodeword(f, Math.floor(r() * 2 ** 32))
        for (let p = 0; p < 32; p += 2) counts[p * 256 + cw[p]] += 4
      }
      const best: number[] = [], second: number[] = [], bestN: number[] = [], secondN: number[] = []
      for (let p = 0; p < 32; p++) {
        let b = -1, bn = 0, s2 = -1, sn = 0
        for (let c = 0; c < 256; c++) {
          const v = counts[p * 256 + c]
          if (v > bn) [s2, sn, b, bn] = [b, bn, c, v]
          else if (v > sn) [s2, sn] = [c, v]
        }
        best.push(b); second.push(s2); bestN.push(bn); secondN.push(sn)
      }
      const all = new Map<number, number>()
      const add = (message: Uint8Array | null) => {
        if (!message) return
        const account = bytesAccount(f, message)
        if (account >= 0) all.set(account, codewordMatches(counts, rsEncode(code, message)))
      }
      add(rsDecode(code, best.map((c, p) => (bestN[p] > secondN[p] ? c : -1))))
      const order = [...Array(32).keys()].filter((p) => bestN[p] > 0).sort((a, b) => bestN[b] - secondN[b] - (bestN[a] - secondN[a]) || bestN[b] - bestN[a] || a - b).slice(0, 12)
      for (let a = 0; a < 12; a++) for (let b = a + 1; b < 12; b++) for (let c = b + 1; c < 12; c++) for (let d = c + 1; d < 12; d++) {
        const at = [order[a], order[b], order[c], order[d]]
        add(rsFromPositions(code, at, at.map((p) => best[p])))
        for (let i = 0; i < 4; i++) if (secondN[at[i]] > 0) add(rsFromPositions(code, at, at.map((p, j) => (j === i ? second[p] : best[p]))))
      }
      const expected = [...all].map(([account, matches]) => ({ account, matches })).sort((x, y) => y.matches - x.matches || x.account - y.account)
      for (const limit of [1, 16, 40, Infinity]) {
        expect(decodeCandidates(f, { counts, positions: 32, scored: 200 }, { limit })).toEqual(expected.slice(0, limit))
      }
      // Ties are what the order of entry could get wrong: make sure the trials have them.
      if (t === 0) expect(expected[15].matches).toBe(expected[16].matches)
    }
  })
})
