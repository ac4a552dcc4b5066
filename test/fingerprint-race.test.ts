import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { detect } from '@tracemark/detector'
import {
  accountCodeword,
  codewordScores,
  createWatermarker,
  fingerprintCode,
  fingerprintVotes,
  generateKey,
  parseKey,
  rsFromPositions,
  scoreTokens,
  seededRandom,
  type Watermarker,
} from '@tracemark/watermark'
import { trimmedLogP, trimmedMatches } from '../packages/detector/src/attribution.js'
import { chiSquareGoodnessOfFit } from '../packages/detector/src/stats/chisquare.js'
import { ksUniform } from '../packages/detector/src/stats/ks.js'
import { uniqueScore } from '../packages/detector/src/detect.js'
import { newFingerprintStep } from '../packages/watermark/src/fingerprint/prf.js'
import {
  addOrderedSymbolScores,
  newOrderedMin,
  orderedMin,
  orderedUniform,
  orderedZeroBitScore,
  SYMBOLS,
} from '../packages/watermark/src/fingerprint/race.js'
import { generate } from '../packages/lab/src/generate.js'
import { loadOrTrainDefaultModel } from '../packages/lab/src/model/default.js'
import { createSyntheticModel } from '../packages/lab/src/synthetic.js'
import { binomialBounds, testSecret } from './helpers.js'

const fixture = (name: string) => readFileSync(new URL(`../packages/watermark/test/fixtures/${name}`, import.meta.url), 'utf8')
const account = (i: number) => Math.imul(i + 1, 2654435761) >>> 0

describe('fingerprint embeddings in the spec', () => {
  it('a gumbel fingerprint defaults to the race; naming delta or h, or another scheme, keeps the colour bias', () => {
    expect(generateKey({ scheme: 'gumbel', fingerprint: { bits: 32 } }).spec.fingerprint).toEqual({ embedding: 'race', bits: 32, positions: 32, draw: 'ordered' })
    // Naming the race without a draw is what key files written before the ordered draw hold.
    expect(generateKey({ scheme: 'gumbel', fingerprint: { embedding: 'race' } }).spec.fingerprint).toEqual({ embedding: 'race', bits: 32, positions: 32 })
    expect(generateKey({ scheme: 'gumbel', fingerprint: { embedding: 'race', draw: 'ordered' } }).spec.fingerprint).toEqual({ embedding: 'race', bits: 32, positions: 32, draw: 'ordered' })
    expect(() => generateKey({ scheme: 'gumbel', fingerprint: { draw: 'sorted' } })).toThrow(/fingerprint\.draw must be "ordered" or "independent"/)
    expect(() => generateKey({ scheme: 'gumbel', fingerprint: { delta: 4, draw: 'ordered' } })).toThrow(/fingerprint\.draw is a parameter of the "race" embedding/)
    expect(generateKey({ scheme: 'gumbel', fingerprint: { delta: 4 } }).spec.fingerprint).toEqual({ bits: 32, positions: 32, delta: 4, h: 4 })
    expect(generateKey({ scheme: 'gumbel', fingerprint: { embedding: 'bias' } }).spec.fingerprint).toEqual({ bits: 32, positions: 32, delta: 4, h: 4 })
    expect(generateKey({ scheme: 'kgw', fingerprint: {} }).spec.fingerprint).toEqual({ bits: 32, positions: 32, delta: 4, h: 4 })
    expect(() => generateKey({ scheme: 'kgw', fingerprint: { embedding: 'race' } })).toThrow(/fingerprint\.embedding "race" needs scheme gumbel/)
    expect(() => generateKey({ scheme: 'gumbel', fingerprint: { embedding: 'race', delta: 4 } })).toThrow(/fingerprint\.delta is a parameter of the "bias" embedding/)
    expect(() => generateKey({ scheme: 'gumbel', fingerprint: { embedding: 'blue' } })).toThrow(/fingerprint\.embedding must be "race" or "bias"/)
  })

  // The fixture was written by the code before the race embedding existed (a gumbel
  // key with the then-default fingerprint, and 40 tokens it sampled from fixed
  // logits with a seeded draw): it must parse to the same spec and keyId and embed
  // and vote exactly as it did.
  it('key files written before the race embedding keep their spec, keyId and behaviour (colour bias)', () => {
    const text = fixture('legacy-fingerprint-key.json')
    const key = parseKey(text)
    expect(key.keyId).toBe(JSON.parse(text).keyId)
    expect(key.spec.fingerprint).toEqual({ bits: 32, positions: 32, delta: 4, h: 4 })
    const vectors = JSON.parse(fixture('legacy-fingerprint-vectors.json')) as { tokens: number[]; votes: number[] }
    const wm = createWatermarker(key)
    const V = key.spec.vocabSize
    // The fixture froze the race itself, before sessions opened with a plain prefix.
    const s = wm.session({ prompt: [1, 2, 3, 4], payload: 123456789, prefixNats: 0 })
    const rnd = seededRandom(1)
    const logits = new Float32Array(V)
    const out: number[] = []
    for (let i = 0; i < 40; i++) {
      for (let x = 0; x < V; x++) logits[x] = 3 * Math.sin(x * 0.37 + i) - (x % 97) / 20
      out.push(s.sample(logits, { random: rnd }))
    }
    expect(out).toEqual(vectors.tokens)
    const nz: number[] = []
    fingerprintVotes(wm, [1, 2, 3, 4, ...out]).counts.forEach((c, i) => {
      if (c) nz.push(i, c)
    })
    expect(nz).toEqual(vectors.votes)
  })
})

// Both draws: `{}` is a new key (ordered draw), `{ embedding: 'race' }` a key file written before it (independent draw).
const DRAWS = [
  ['ordered', {}],
  ['independent', { embedding: 'race' }],
] as const

describe.each(DRAWS)('race fingerprint (%s draw): distortion-free', (_name, fingerprint) => {
  // Each prompt is a fresh window, so each draw is an independent race: the token
  // frequencies must be p for every account. Chi-square goodness of fit at a fixed
  // seed; a correct sampler fails p > 1e-4 with probability 1e-4.
  it('samples exactly from the model distribution whatever the account', () => {
    // Six live tokens in a vocabulary of 64 (the rest masked), so 64^4 windows are available.
    const V = 64
    const p = [0.4, 0.25, 0.15, 0.1, 0.07, 0.03]
    const logits = Float32Array.from({ length: V }, (_, x) => (x < p.length ? Math.log(p[x]) : -Infinity))
    const wm = createWatermarker(generateKey({ scheme: 'gumbel', vocabSize: V, fingerprint }, { secret: testSecret(1, 60) }))
    const N = 20_000
    const draws: number[][] = []
    for (const payload of [account(1), account(2)]) {
      const counts = new Array(p.length).fill(0)
      const seq: number[] = []
      for (let i = 0; i < N; i++) {
        const s = wm.session({ prompt: [i % V, Math.floor(i / V) % V, Math.floor(i / V ** 2) % V, 7], payload })
        const t = s.sample(logits)
        counts[t]++
        seq.push(t)
      }
      draws.push(seq)
      expect(chiSquareGoodnessOfFit(counts, p.map((q) => q * N)).pValue).toBeGreaterThan(1e-4)
    }
    // The account does steer the race: with independent races two accounts agree
    // with probability sum p^2 = 0.25 except at the <= 3 of 32 positions where their
    // codewords agree (<= 0.32 overall); a race that ignored the account would agree always.
    const same = draws[0].filter((t, i) => t === draws[1][i]).length
    expect(same / N).toBeLessThan(0.4)
  })
})

// The ordered draw produces a window's 256 uniforms minimum first. It must be the
// joint law of 256 independent uniforms, and every path that reads it (the race,
// the zero-bit score, the per-byte votes, one account's score) must see the same values.
describe('race fingerprint: the ordered draw', () => {
  const rnd = seededRandom(8)
  const step = newFingerprintStep()
  const om = newOrderedMin()
  const randomStep = () => {
    step.s0 = Math.floor(rnd() * 2 ** 32) | 0
    step.s1 = Math.floor(rnd() * 2 ** 32) | 0
  }

  it('every reader sees the same 256 values, whose minimum is M at the argmin and whose G(M) is the zero-bit draw', () => {
    for (let k = 0; k < 200; k++) {
      randomStep()
      const x = Math.floor(rnd() * 100_277)
      orderedMin(step, x, om)
      const t = Array.from({ length: SYMBOLS }, (_, s) => orderedUniform(step, s, x, Infinity))
      // The votes' path: all 256 scores in one call.
      const sums = new Float64Array(SYMBOLS)
      addOrderedSymbolScores(step, x, sums, 0)
      sums.forEach((v, s) => expect(v).toBeCloseTo(-Math.log(t[s]), 10))
      let argmin = 0
      for (let s = 1; s < SYMBOLS; s++) if (t[s] < t[argmin]) argmin = s
      expect(argmin).toBe(om.argmin)
      expect(t[argmin]).toBeCloseTo(om.m, 14)
      // G(M) = 1 - (1 - M)^256 is U: the zero-bit score -ln U is -ln G(min t).
      expect(-Math.expm1(SYMBOLS * Math.log1p(-om.m)) / om.u).toBeCloseTo(1, 9)
      expect(orderedZeroBitScore(step, x)).toBeCloseTo(-Math.log(om.u), 12)
      for (const s of [argmin, (argmin + 1) % SYMBOLS, 0, 255]) {
        // Racing against a bound the value beats gives the value itself, not the shortcut.
        expect(orderedUniform(step, s, x, 2 * t[s])).toBe(t[s])
        // The race's shortcut returns a lower bound of t that already loses to the bound given.
        const bound = orderedUniform(step, s, x, 0)
        expect(bound).toBeLessThanOrEqual(t[s])
      }
    }
  })

  it('quick votes rank bytes by -ln M at the argmin and score any codeword exactly as the full votes do', () => {
    const wm = createWatermarker(generateKey({ scheme: 'gumbel', fingerprint: {} }, { secret: testSecret(9, 60) }))
    const f = wm.spec.fingerprint!
    const ids = Uint32Array.from({ length: 3000 }, () => Math.floor(rnd() * 100_277))
    const full = fingerprintVotes(wm, ids)
    const quick = fingerprintVotes(wm, ids, { quick: true })
    const tp = quick.tuples!
    expect(tp.n).toBe(quick.scored)
    expect(quick.scored).toBe(full.scored)
    const proxy = new Float64Array(f.positions * SYMBOLS)
    for (let i = 0; i < tp.n; i++) proxy[tp.position[i] * SYMBOLS + tp.argmin[i]] += -Math.log(tp.m[i])
    expect(Array.from(quick.counts)).toEqual(Array.from(proxy))
    for (const acc of [account(1), account(2), 0]) {
      const cw = accountCodeword(f, acc)
      const exact = codewordScores(quick, cw)
      codewordScores(full, cw).forEach((v, p) => expect(exact[p]).toBeCloseTo(v, 8))
    }
    const legacy = createWatermarker(generateKey({ scheme: 'gumbel', fingerprint: { embedding: 'race' } }))
    expect(() => fingerprintVotes(legacy, ids, { quick: true })).toThrow(/ordered draw/)
    expect(() => fingerprintVotes(wm, ids, { into: full, quick: true })).toThrow(/another fingerprint embedding or mode/)
  })

  // The representation's parts: U = G(M) uniform, the argmin uniform over 256 bytes
  // and independent of U, a fixed byte's t uniform, and a non-minimum t uniform on
  // (M, 1). KS and chi-square at fixed seeds over 20,000 draws; each check of a
  // correct law fails its p > 1e-4 with probability 1e-4.
  it('has the joint law of 256 independent uniforms', () => {
    const N = 20_000
    const u: number[] = []
    const fixed: number[] = []
    const above: number[] = []
    const argmins = new Array(SYMBOLS).fill(0)
    const lowHalf = new Array(SYMBOLS).fill(0)
    for (let k = 0; k < N; k++) {
      randomStep()
      const x = Math.floor(rnd() * 100_277)
      orderedMin(step, x, om)
      u.push(om.u)
      argmins[om.argmin]++
      if (om.u < 0.5) lowHalf[om.argmin]++
      const t = orderedUniform(step, 17, x, Infinity)
      fixed.push(t)
      if (om.argmin !== 17) above.push((t - om.m) / (1 - om.m))
    }
    expect(ksUniform(u).pValue).toBeGreaterThan(1e-4)
    expect(ksUniform(fixed).pValue).toBeGreaterThan(1e-4)
    expect(ksUniform(above).pValue).toBeGreaterThan(1e-4)
    expect(chiSquareGoodnessOfFit(argmins, argmins.map(() => N / SYMBOLS)).pValue).toBeGreaterThan(1e-4)
    // Independence of the argmin from U: the argmin of the draws with U < 1/2 is uniform too.
    const half = lowHalf.reduce((a, b) => a + b, 0)
    expect(chiSquareGoodnessOfFit(lowHalf, lowHalf.map(() => half / SYMBOLS)).pValue).toBeGreaterThan(1e-4)
  })
})

function synthIds(wm: Watermarker, payload: number, tokens: number, seed: number, V: number): Uint32Array {
  const model = createSyntheticModel({ vocabSize: V, seed })
  const prompt = [seed % V, (seed * 7 + 1) % V, 3, 4]
  const s = wm.session({ prompt, payload })
  const rnd = seededRandom(seed)
  const ctx = prompt.slice()
  const logits = new Float32Array(V)
  for (let i = 0; i < tokens; i++) ctx.push(s.sample(model.logits(ctx, logits), { random: rnd }))
  return Uint32Array.from(ctx.slice(prompt.length))
}

describe('race fingerprint: exact nulls', () => {
  // Each unique tuple's zero-bit score is -ln G(min_s t_s) with G the exact law of
  // the minimum of 256 uniforms: Exp(1) for text that does not depend on the key,
  // so exp(-score) is uniform. KS at a fixed seed; a correct law fails p > 1e-4 with probability 1e-4.
  it.each(DRAWS)('the per-token zero-bit score is exactly Exp(1) on text that does not depend on the key (%s draw)', (_name, fingerprint) => {
    const wm = createWatermarker(generateKey({ scheme: 'gumbel', fingerprint }, { secret: testSecret(2, 60) }))
    const rnd = seededRandom(3)
    const ids = Uint32Array.from({ length: 4000 }, () => Math.floor(rnd() * 100_277))
    const s = scoreTokens(wm, ids)
    expect(ksUniform(Array.from(s.score.subarray(0, s.count), (x) => Math.exp(-x))).pValue).toBeGreaterThan(1e-4)
  })

  it('detect() p-values are super-uniform over keys on random text (Bonferroni over the two zero-bit tests)', () => {
    const rnd = seededRandom(4)
    const ps: number[] = []
    for (let d = 0; d < 200; d++) {
      const wm = createWatermarker(generateKey({ scheme: 'gumbel', fingerprint: {} }, { secret: testSecret(d, 61) }))
      ps.push(detect(Uint32Array.from({ length: 200 }, () => Math.floor(rnd() * 100_277)), wm).pValue)
    }
    for (const a of [0.05, 0.2]) expect(ps.filter((p) => p <= a).length).toBeLessThanOrEqual(binomialBounds(200, a)[1])
  })

  // The trimmed race statistic of an account that wrote no token of the text is at
  // most Gamma(scored, 1) (see trimmedLogP): its uncorrected p-value must be
  // super-uniform for random accounts and for the hardest innocents, accounts
  // whose codewords share k - 1 = 3 bytes with the writer's.
  it('the per-account p-value is conservative on another account\'s text, also for codeword neighbours', () => {
    const V = 2000
    const rnd = seededRandom(5)
    const pRandom: number[] = []
    const pNeighbour: number[] = []
    for (let d = 0; d < 400; d++) {
      const key = generateKey({ scheme: 'gumbel', vocabSize: V, fingerprint: {} }, { secret: testSecret(d, 62) })
      const f = key.spec.fingerprint!
      const wm = createWatermarker(key)
      const writer = account(d)
      const votes = fingerprintVotes(wm, synthIds(wm, writer, 150, 1000 + d, V))
      const cw = accountCodeword(f, writer)
      const pos = [d % 32, (d + 7) % 32, (d + 19) % 32, (d + 26) % 32]
      const vals = [cw[pos[0]], cw[pos[1]], cw[pos[2]], (cw[pos[3]] + 1 + (d % 255)) % 256]
      const msg = rsFromPositions(fingerprintCode(f), pos, vals)
      const neighbour = msg[0] + msg[1] * 256 + msg[2] * 65536 + msg[3] * 16777216
      for (const [acc, out] of [[Math.floor(rnd() * 2 ** 32), pRandom], [neighbour, pNeighbour]] as const) {
        out.push(Math.exp(trimmedLogP(f, trimmedMatches(f, votes, acc).tested, votes.scored)))
      }
      // The writer itself is far past any threshold: the embedding carries the account.
      if (d < 20) expect(trimmedLogP(f, trimmedMatches(f, votes, writer).tested, votes.scored)).toBeLessThan(Math.log(1e-6))
    }
    for (const ps of [pRandom, pNeighbour]) {
      for (const a of [0.05, 0.2]) expect(ps.filter((p) => p <= a).length).toBeLessThanOrEqual(binomialBounds(400, a)[1])
    }
  })
})

// On the reference model at temperature 1 (~5 nats per token) a 200-token answer's
// true account scores log10 p around -150 to -220 after the 2^32 union bound
// (measured), against a threshold of -6: only a decoding miss could fail, and the
// lab eval measures those (docs/fingerprint).
describe('race fingerprint: attribution on the reference model', () => {
  it('names the account of 200-token answers among all 2^32, and the zero-bit test detects them without it', () => {
    const model = loadOrTrainDefaultModel()
    for (let i = 0; i < 6; i++) {
      const wm = createWatermarker(generateKey({ scheme: 'gumbel', fingerprint: {} }, { secret: testSecret(i, 63) }))
      const ids = generate(model, { key: wm, payload: account(i), prompt: 'The nation', maxTokens: 200, seed: 700 + i, stopAtEnd: false }).ids
      const r = detect(ids, wm)
      expect(r.pValue).toBeLessThan(1e-6)
      expect(r.attribution?.accounts.map((a) => a.account), `doc ${i}`).toEqual([account(i)])
      expect(r.attribution!.candidates).toBe(2 ** 32)
      // The per-token test alone (exact Gamma null) also sees the watermark.
      expect(uniqueScore(scoreTokens(wm, ids)).sum).toBeGreaterThan(ids.length)
    }
  })
})
