import { describe, expect, it } from 'vitest'
import { attributeTokens, detect, NULL_MATCH_RATE, trimmedMatches } from '@tracemark/detector'
import {
  accountCodeword,
  createWatermarker,
  decodeCandidates,
  fingerprintCode,
  fingerprintVotes,
  generateKey,
  rsFromPositions,
  seededRandom,
  type SpecInput,
  type Watermarker,
} from '@tracemark/watermark'
import { binomialUpperTailLog } from '../packages/detector/src/stats/tails.js'
import { createSyntheticModel } from '../packages/lab/src/synthetic.js'
import { binomialBounds, testSecret } from './helpers.js'
import { generate } from '../packages/lab/src/generate.js'
import { loadOrTrainDefaultModel } from '../packages/lab/src/model/default.js'

function generateIds(wm: Watermarker, payload: number, tokens: number, seed: number, vocabSize = 100_277): Uint32Array {
  const model = createSyntheticModel({ vocabSize, seed })
  const prompt = [seed % vocabSize, (seed * 7 + 1) % vocabSize, 3, 4]
  const s = wm.session({ prompt, payload })
  const rnd = seededRandom(seed)
  const ctx = prompt.slice()
  const logits = new Float32Array(vocabSize)
  for (let i = 0; i < tokens; i++) ctx.push(s.sample(model.logits(ctx, logits), { random: rnd }))
  return Uint32Array.from(ctx.slice(prompt.length))
}

const account = (i: number) => (Math.imul(i + 1, 2654435761) >>> 0) % 2 ** 32

describe('fingerprint sessions', () => {
  it('draw a payload when a fingerprinted key is given none, refuse one for a key without, and check its range', () => {
    const fp = createWatermarker(generateKey({ scheme: 'kgw', fingerprint: {} }))
    // Drawn from the CSPRNG per session: two sessions agree with probability 2^-32.
    const drawn = [fp.session({ prompt: [1] }).payload!, fp.session({ prompt: [1] }).payload!]
    for (const p of drawn) expect(Number.isInteger(p) && p >= 0 && p < 2 ** 32).toBe(true)
    expect(drawn[0]).not.toBe(drawn[1])
    const narrow = createWatermarker(generateKey({ scheme: 'gumbel', fingerprint: { bits: 40, positions: 8 } }))
    const wide = Array.from({ length: 64 }, () => narrow.session().payload!)
    expect(wide.every((p) => Number.isInteger(p) && p >= 0 && p < 2 ** 40)).toBe(true)
    // The top 8 bits are drawn too: all 64 payloads below 2^32 has probability 2^-512.
    expect(wide.some((p) => p >= 2 ** 32)).toBe(true)
    expect(fp.session({ payload: 7 }).payload).toBe(7)
    expect(createWatermarker(generateKey({ scheme: 'kgw' })).session().payload).toBeUndefined()
    expect(() => fp.session({ payload: 2 ** 32 })).toThrow(/payload must be an integer account in \[0, 2\^32\)/)
    expect(() => fp.session({ payload: -1 })).toThrow(/payload/)
    expect(() => createWatermarker(generateKey({ scheme: 'kgw' })).session({ payload: 5 })).toThrow(/no fingerprint/)
  })
})

// Attribution needs the favoured colour to gain real mass, which depends on the
// model's entropy: on the reference model (~5 nats per token) a 400-token answer
// carries ~45 matching votes against ~1.5 expected by chance, far past the
// 2^32-corrected threshold (~16 votes); at 200 tokens it passes about half the time.
describe('attribution', () => {
  const model = loadOrTrainDefaultModel()
  const answer = (wm: Watermarker, payload: number, tokens: number, seed: number) =>
    generate(model, { key: wm, payload, prompt: 'The nation', maxTokens: tokens, seed, stopAtEnd: false }).ids

  for (const spec of [{ scheme: 'kgw', fingerprint: {} }, { scheme: 'gumbel', fingerprint: {} }] as SpecInput[]) {
    it(`${spec.scheme}: 400-token answers name their account, and the zero-bit watermark stays detectable without it`, () => {
      for (let i = 0; i < 6; i++) {
        const wm = createWatermarker(generateKey(spec, { secret: testSecret(i, 31) }))
        const ids = answer(wm, account(i), 400, 100 + i)
        const r = detect(ids, wm)
        expect(r.pValue).toBeLessThan(1e-6)
        expect(r.attribution?.account, `doc ${i}`).toBe(account(i))
        expect(r.attribution!.pValue).toBeLessThan(1e-6)
        expect(r.attribution!.candidates).toBe(2 ** 32)
        // With a registry the correction is its size and the same account is named.
        const reg = [account(i), 1, 2, 3, account(i + 50)]
        expect(attributeTokens(wm, ids, { accounts: reg })?.account).toBe(account(i))
      }
    })
  }

  // 300 tokens per colluder carry ~33 votes each; against a registry of 1,000
  // accounts the corrected threshold is ~11 votes, so both must be named. (Against
  // all 2^32 accounts the threshold is ~16 after trimming: the lab eval reports
  // that rate; delta 5 finds both every time, at a higher quality cost.)
  it('finds both colluders in a 600-token document mixed 50/50 from two accounts', () => {
    for (let i = 0; i < 3; i++) {
      const wm = createWatermarker(generateKey({ scheme: 'gumbel', fingerprint: {} }, { secret: testSecret(i, 32) }))
      const a = answer(wm, account(10 + i), 300, 200 + i)
      const b = answer(wm, account(20 + i), 300, 300 + i)
      const mixed = Uint32Array.from([...a, ...b])
      const registry = Array.from({ length: 1000 }, (_, j) => account(1000 + j))
      registry[17] = account(10 + i)
      registry[600] = account(20 + i)
      const r = attributeTokens(wm, mixed, { accounts: registry })
      expect(r, `doc ${i}`).not.toBeNull()
      expect(r!.candidates).toBe(1000)
      expect(r!.accounts.map((x) => x.account).sort()).toEqual([account(10 + i), account(20 + i)].sort())
      // Decoding without a registry still ranks both among its candidates.
      const top = decodeCandidates(wm.spec.fingerprint!, fingerprintVotes(wm, mixed)).slice(0, 4).map((c) => c.account)
      expect(top).toContain(account(10 + i))
    }
  })

  // The trimmed statistic of any account that produced no token of the text is at
  // most Binomial(scored, 1/256): its uncorrected p-value must be super-uniform, for
  // human-like text AND for text written for another account. We test the hardest
  // case: accounts whose codewords agree with the writer's in k - 1 = 3 positions.
  it('the per-account p-value is conservative under the null, even for accounts sharing 3 codeword bytes with the writer', () => {
    const V = 2000
    const rnd = seededRandom(5)
    const pRandom: number[] = []
    const pNeighbour: number[] = []
    for (let d = 0; d < 600; d++) {
      const key = generateKey({ scheme: 'kgw', vocabSize: V, fingerprint: {} }, { secret: testSecret(d, 33) })
      const f = key.spec.fingerprint!
      const wm = createWatermarker(key)
      const writer = account(d)
      const ids = generateIds(wm, writer, 150, 1000 + d, V)
      const votes = fingerprintVotes(wm, ids)
      // A neighbour: agrees with the writer at 3 positions, differs elsewhere.
      const cw = accountCodeword(f, writer)
      const pos = [d % 32, (d + 7) % 32, (d + 19) % 32, (d + 26) % 32]
      const vals = [cw[pos[0]], cw[pos[1]], cw[pos[2]], (cw[pos[3]] + 1 + (d % 255)) % 256]
      const msg = rsFromPositions(fingerprintCode(f), pos, vals)
      const neighbour = msg[0] + msg[1] * 256 + msg[2] * 65536 + msg[3] * 16777216
      const other = Math.floor(rnd() * 2 ** 32)
      for (const [acc, out] of [[other, pRandom], [neighbour, pNeighbour]] as const) {
        const m = trimmedMatches(f, votes, acc)
        out.push(Math.exp(binomialUpperTailLog(m.tested, votes.scored, NULL_MATCH_RATE)))
      }
    }
    const [, hi] = binomialBounds(600, 0.05)
    for (const ps of [pRandom, pNeighbour]) {
      expect(ps.filter((p) => p <= 0.05).length).toBeLessThanOrEqual(hi)
      expect(ps.filter((p) => p <= 0.2).length).toBeLessThanOrEqual(binomialBounds(600, 0.2)[1])
    }
  })

  it('never names an account for random text (300 documents, fresh keys, alpha 0.01)', () => {
    const rnd = seededRandom(9)
    for (let d = 0; d < 300; d++) {
      const wm = createWatermarker(generateKey({ scheme: 'kgw', fingerprint: {} }, { secret: testSecret(d, 34) }))
      const ids = Uint32Array.from({ length: 300 }, () => Math.floor(rnd() * 100_277))
      expect(attributeTokens(wm, ids, { alpha: 0.01 })).toBeNull()
    }
  })
})

describe('list decoding of thin evidence', () => {
  // Votes in which the account's byte leads at only 4 positions, each of them less
  // reliable (a smaller lead) than 12 positions where a wrong byte leads: a decoder
  // restricted to the 12 most reliable positions cannot find the account, one that
  // searches 20 (what a probe's pooled votes are decoded with) must, since 4 correct
  // positions determine the 4-byte message. The account's codeword still collects
  // the most: 4 x 5 + 16 x 1.9 = 50.4, against at most 4 x 8 plus noise (< 1 each)
  // at the other 28 positions for a codeword through 4 wrong leaders.
  it('finds an account whose leading positions are outside the 12 most reliable, given 20', () => {
    const f = generateKey({ scheme: 'gumbel', fingerprint: { bits: 32 } }).spec.fingerprint!
    const account = 3_141_592_653
    const cw = accountCodeword(f, account)
    const counts = new Float64Array(f.positions * 256)
    const rnd = seededRandom(7)
    for (let i = 0; i < counts.length; i++) counts[i] = 0.5 * rnd()
    for (let p = 0; p < f.positions; p++) {
      const wrong = (cw[p] + 1 + p) % 256
      if (p < 4) {
        counts[p * 256 + cw[p]] = 5 // leads by > 4.5: reliability ranks 13-16
      } else if (p < 16) {
        counts[p * 256 + wrong] = 8 // a wrong byte leads by > 7.5: the 12 most reliable
        counts[p * 256 + cw[p]] = 0
      } else {
        counts[p * 256 + wrong] = 2 // a wrong byte leads by 0.1: the least reliable
        counts[p * 256 + cw[p]] = 1.9
      }
    }
    const votes = { counts, positions: f.positions, scored: 1000 }
    expect(decodeCandidates(f, votes, { reliable: 12 }).map((c) => c.account)).not.toContain(account)
    expect(decodeCandidates(f, votes, { reliable: 20 }).map((c) => c.account)).toContain(account)
  })
})

