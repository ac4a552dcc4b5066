import { describe, expect, it } from 'vitest'
import { candidateSeed, contextAt, newContext } from '../src/context.js'
import { selfTables } from '../src/keyring.js'
import { mixHi, mixLo } from '../src/mix.js'
import { seededRandom } from '../src/random.js'
import { scoreTokens } from '../src/score.js'
import { createWatermarker, keyringOf } from '../src/session.js'
import { generateKey } from '../src/keys.js'
import type { SpecInput } from '../src/spec.js'
import { COLOURS } from '../src/fingerprint/code.js'
import { colourOf, fingerprintStepAt, fingerprintTuple, fingerprintWidth, newFingerprintStep } from '../src/fingerprint/prf.js'
import { addOrderedSymbolScores, addSymbolScores } from '../src/fingerprint/race.js'
import { fingerprintVotes } from '../src/fingerprint/votes.js'
import { isOrderedRace, isRaceFingerprint } from '../src/spec.js'

/** Ids with repeats, so windows and tuples repeat. */
function ids(seed: number, n: number, V: number): number[] {
  const rnd = seededRandom(seed)
  const out = Array.from({ length: n }, () => (rnd() < 0.3 ? Math.floor(rnd() * 50) : Math.floor(rnd() * V)))
  return out
}

describe('scoreTokens fast paths', () => {
  it('the batched window hashes give the tuples of contextAt, one window at a time', () => {
    for (const spec of [{ scheme: 'kgw', seeding: 'left' }, { scheme: 'gumbel' }, { scheme: 'synthid', h: 3 }, { scheme: 'gumbel', h: 1 }] as SpecInput[]) {
      const wm = createWatermarker(generateKey(spec))
      const kr = keyringOf(wm)
      // Past two of scoreTokens' 4,096-window hashing chunks.
      const toks = ids(7, 9000, kr.spec.vocabSize)
      const s = scoreTokens(wm, toks)
      const ctx = newContext()
      const seed = new Int32Array(2)
      const h = (kr.spec as { h: number }).h
      for (let j = 0; j < s.count; j++) {
        const i = j + h
        contextAt(kr, toks, i, ctx, false)
        candidateSeed(kr, ctx, toks[i], seed)
        const want = mixHi(seed[0], seed[1], toks[i]) * 2 ** 20 + (mixLo(seed[0], seed[1], toks[i]) >>> 12)
        if (s.tuple[j] !== want) expect.fail(`${JSON.stringify(spec)}: tuple ${j} differs`)
      }
    }
  })

  it('a reused result is overwritten with exactly a fresh call\'s scores, and grown when too short', () => {
    for (const spec of [{ scheme: 'kgw' }, { scheme: 'gumbel' }, { scheme: 'gumbel', nonces: 8 }, { scheme: 'synthid' }] as SpecInput[]) {
      const wm = createWatermarker(generateKey(spec))
      const V = keyringOf(wm).spec.vocabSize
      let reused = scoreTokens(wm, ids(1, 900, V))
      const buffer = reused.score
      for (const n of [300, 900, 40, 2000]) {
        const toks = ids(n, n, V)
        const fresh = scoreTokens(wm, toks)
        reused = scoreTokens(wm, toks, reused)
        if (n <= 900) expect(reused.score, `${JSON.stringify(spec)} ${n}`).toBe(buffer)
        expect(reused.count).toBe(fresh.count)
        expect(Array.from(reused.tuple.subarray(0, reused.count))).toEqual(Array.from(fresh.tuple))
        expect(Array.from(reused.score.subarray(0, reused.count))).toEqual(Array.from(fresh.score))
        expect(Array.from(reused.position.subarray(0, reused.count))).toEqual(Array.from(fresh.position))
        expect(reused.nonces).toBe(fresh.nonces)
        if (fresh.streamScore) for (let j = 0; j < fresh.count; j += 7) expect(reused.streamScore!(j, 5)).toBe(fresh.streamScore(j, 5))
      }
    }
  })

  it('scores each window alike on either side of a hashing chunk boundary, and after a long document', () => {
    // A token's tuple and score depend on its window and itself alone, so the h + 1
    // ids ending at it, scored on their own, must give the long document's entry.
    for (const spec of [{ scheme: 'gumbel' }, { scheme: 'synthid', h: 3 }, { scheme: 'gumbel', fingerprint: { embedding: 'race', bits: 32 } }] as SpecInput[]) {
      const wm = createWatermarker(generateKey(spec))
      const kr = keyringOf(wm)
      const h = (kr.spec as { h: number }).h
      const short = ids(5, 700, kr.spec.vocabSize)
      const before = scoreTokens(wm, short)
      const long = ids(6, 5 * 4096 + 1000, kr.spec.vocabSize)
      const all = scoreTokens(wm, long)
      for (const j of [0, 4095, 4096, 4097, 8191, 8192, 16383, 16384, 16385, all.count - 1]) {
        const one = scoreTokens(wm, long.slice(j, j + h + 1))
        expect(one.count).toBe(1)
        expect([all.tuple[j], all.score[j]], `${JSON.stringify(spec)} window ${j}`).toEqual([one.tuple[0], one.score[0]])
      }
      const after = scoreTokens(wm, short)
      expect(Array.from(after.tuple)).toEqual(Array.from(before.tuple))
      expect(Array.from(after.score)).toEqual(Array.from(before.score))
    }
  })

  it('SelfHash scores the same before and after its per-token tables exist', () => {
    for (const h of [1, 3, 4]) {
      const wm = createWatermarker(generateKey({ scheme: 'kgw', h }))
      const toks = ids(h, 2000, 100_277)
      const direct = scoreTokens(wm, toks)
      selfTables(keyringOf(wm))
      const tabled = scoreTokens(wm, toks)
      expect(tabled.tuple, `h ${h}`).toEqual(direct.tuple)
      expect(tabled.score, `h ${h}`).toEqual(direct.score)
    }
  })

  it('fingerprint votes from batched window hashes equal those of one fingerprintStepAt per position', () => {
    const specs = [
      { scheme: 'kgw', fingerprint: {} },
      { scheme: 'gumbel', fingerprint: { bits: 32 } },
      { scheme: 'gumbel', fingerprint: { embedding: 'race', bits: 32 } },
      { scheme: 'gumbel', fingerprint: { delta: 4, h: 2 } },
    ] as SpecInput[]
    for (const spec of specs) {
      const wm = createWatermarker(generateKey(spec))
      const kr = keyringOf(wm)
      const f = kr.spec.fingerprint!
      const race = isRaceFingerprint(f)
      const ordered = isOrderedRace(f)
      const h = fingerprintWidth(kr.spec)
      // Past one of the window hasher's 16,384-window chunks.
      const toks = ids(3, 17_000, kr.spec.vocabSize)
      for (const start of [0, 37]) {
        const want = race ? new Float64Array(f.positions * COLOURS) : new Uint32Array(f.positions * COLOURS)
        const seen = new Set<number>()
        const step = newFingerprintStep()
        let scored = 0
        for (let i = Math.max(h, start); i < toks.length; i++) {
          fingerprintStepAt(kr, h, f, toks, i, step)
          const t = fingerprintTuple(step.s0, step.s1, toks[i])
          if (seen.has(t)) continue
          seen.add(t)
          if (ordered) addOrderedSymbolScores(step, toks[i], want as Float64Array, step.position * COLOURS)
          else if (race) addSymbolScores(step, toks[i], want as Float64Array, step.position * COLOURS)
          else want[step.position * COLOURS + colourOf(step.s0, step.s1, toks[i])]++
          scored++
        }
        const got = fingerprintVotes(wm, toks, { start })
        expect(got.scored, `${JSON.stringify(spec)} from ${start}`).toBe(scored)
        expect(got.counts, `${JSON.stringify(spec)} from ${start}`).toEqual(want)
      }
    }
  })
})

describe('scoreTokens input checks', () => {
  it('rejects an id outside the vocabulary in the first h context tokens too, for every seeding', () => {
    for (const input of [{ scheme: 'kgw' as const, vocabSize: 1000 }, { scheme: 'gumbel' as const, vocabSize: 1000 }]) {
      const wm = createWatermarker(generateKey(input, { secret: new Uint8Array(32).fill(9) }))
      // Position 1 is inside the first window (h = 4): only context, never scored.
      expect(() => scoreTokens(wm, [5, 1000, 7, 8, 9, 10])).toThrow(/position 1 \(1000\) is outside the key's vocabulary of 1000/)
      expect(() => scoreTokens(wm, [5, 6, 7, 8, 9, -1])).toThrow(/position 5/)
      expect(scoreTokens(wm, [5, 6, 7, 8, 9, 10]).count).toBe(2)
    }
  })
})
