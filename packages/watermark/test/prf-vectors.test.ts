import { describe, expect, it } from 'vitest'
import { contextAt, newContext } from '../src/context.js'
import { createWatermarker, generateKey, scoreTokens, type SpecInput } from '../src/index.js'
import { makeKeyring } from '../src/keyring.js'
import { mixHi, mixLo } from '../src/mix.js'
import { newOrderedMin, orderedMin, orderedUniform } from '../src/fingerprint/race.js'
import vectors from './prf-vectors.json'

// Frozen outputs of tracemark's PRF (key derivation, window hash, mixer, scores).
// Another implementation must reproduce them to detect tracemark watermarks;
// a change here breaks detection of every text watermarked before it.
const secret = Uint8Array.from({ length: 32 }, (_, i) => i)
const created = new Date('2026-01-01T00:00:00Z')
const hex8 = (v: number) => (v >>> 0).toString(16).padStart(8, '0')

describe('tracemark PRF test vectors', () => {
  for (const c of vectors.cases) {
    it(`${JSON.stringify(c.spec)}`, () => {
      const key = generateKey(c.spec as SpecInput, { secret, created })
      expect(key.keyId).toBe(c.keyId)
      const ctx = newContext()
      contextAt(makeKeyring(key), vectors.tokens, 4, ctx)
      expect([hex8(ctx.s0), hex8(ctx.s1)]).toEqual(c.windowSeed)
      expect(vectors.candidates.map((x) => [hex8(mixHi(ctx.s0, ctx.s1, x)), hex8(mixLo(ctx.s0, ctx.s1, x))])).toEqual(c.lanes)
      const s = scoreTokens(createWatermarker(key), vectors.tokens)
      expect(Array.from(s.tuple)).toEqual(c.tuples)
      Array.from(s.score).forEach((v, i) => expect(v).toBeCloseTo(c.scores[i], 10))
    })
  }
})

describe('race fingerprint ordered-draw vectors', () => {
  // The race of every new fingerprinted gumbel key reads these values: a change
  // breaks attribution of every text written before it.
  for (const c of vectors.orderedDraw) {
    it(`seed ${c.seed.join(' ')}, token ${c.token}`, () => {
      const step = { s0: parseInt(c.seed[0], 16) | 0, s1: parseInt(c.seed[1], 16) | 0, position: 0, windowKey: 0 }
      const om = newOrderedMin()
      orderedMin(step, c.token, om)
      expect(om.u).toBe(c.u)
      expect(om.argmin).toBe(c.argmin)
      expect(om.m).toBeCloseTo(c.m, 15)
      for (const [b, t] of Object.entries(c.t)) expect(orderedUniform(step, Number(b), c.token, Infinity)).toBeCloseTo(t, 15)
    })
  }
})
