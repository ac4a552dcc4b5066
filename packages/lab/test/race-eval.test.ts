import { describe, expect, it } from 'vitest'
import { attributeVotes } from '@tracemark/detector'
import { createWatermarker, fingerprintVotes, generateKey, seededRandom, type Watermarker } from '@tracemark/watermark'
import { judge, raceFalseAttribution } from '../src/fingerprint-eval/false-attribution.js'
import { pairedPerplexityRatio, racePower } from '../src/fingerprint-eval/power.js'
import { raceEvalMarkdown } from '../src/fingerprint-eval/race-eval.js'
import { wilson } from '../src/fingerprint-eval/wilson.js'
import { loadOrTrainDefaultModel } from '../src/model/default.js'
import { run as lab } from '../src/cli/program.js'
import { createSyntheticModel } from '../src/synthetic.js'

describe('wilson', () => {
  it('matches the closed form at the edges and a textbook value in the middle', () => {
    const z = 1.959963984540054
    // k = 0: the upper bound is z^2 / (n + z^2) exactly (the centre and half-width coincide).
    const none = wilson(0, 200)
    expect(none.low).toBe(0)
    expect(none.high).toBeCloseTo((z * z) / (200 + z * z), 12)
    // k = n mirrors k = 0.
    const all = wilson(200, 200)
    expect(all.high).toBe(1)
    expect(all.low).toBeCloseTo(1 - none.high, 12)
    // 5 of 10: 0.2366 – 0.7634 (symmetric about 1/2).
    const half = wilson(5, 10)
    expect(half.low).toBeCloseTo(0.2366, 4)
    expect(half.high).toBeCloseTo(0.7634, 4)
  })

  it('refuses counts that are not a binomial outcome', () => {
    expect(() => wilson(3, 2)).toThrow(/wilson: need integers 0 <= k <= n/)
    expect(() => wilson(1, 0)).toThrow(RangeError)
    expect(() => wilson(0.5, 10)).toThrow(RangeError)
  })
})

describe('pairedPerplexityRatio', () => {
  it('is exp of the mean NLL difference; a constant difference has a zero-width interval', () => {
    const plain = [5, 4, 6, 5.5]
    const r = pairedPerplexityRatio(plain.map((x) => x + 0.1), plain)
    expect(r.ratio).toBeCloseTo(Math.exp(0.1), 12)
    expect(r.low).toBeCloseTo(Math.exp(0.1), 12)
    expect(r.high).toBeCloseTo(Math.exp(0.1), 12)
  })

  it('pairs by answer: the prompt-to-prompt spread cancels, the differences set the width', () => {
    const plain = [2, 8, 3, 9]
    const wm = [2.2, 7.8, 3.2, 8.8]
    // d = 0.2, -0.2, 0.2, -0.2: mean 0, sd 0.2309, half-width 1.96 * 0.2309 / 2.
    const r = pairedPerplexityRatio(wm, plain)
    expect(r.ratio).toBeCloseTo(1, 12)
    const half = (1.959963984540054 * Math.sqrt((4 * 0.04) / 3)) / 2
    expect(r.low).toBeCloseTo(Math.exp(-half), 10)
    expect(r.high).toBeCloseTo(Math.exp(half), 10)
    expect(() => pairedPerplexityRatio([1], [1])).toThrow(/need two arms of equal length >= 2/)
  })
})

describe('judge: the false-attribution verdict', () => {
  const V = 4000
  const synth = createSyntheticModel({ vocabSize: V, seed: 11 })
  const key = (i: number) => createWatermarker(generateKey({ scheme: 'gumbel', vocabSize: V, fingerprint: { bits: 32 } }, { secret: Uint8Array.from({ length: 32 }, (_, j) => (i * 31 + j * 7) & 255) }))
  const write = (wm: Watermarker, payload: number, n: number, seed: number) => {
    const prompt = [seed % V, 1, 2, 3]
    const s = wm.session({ prompt, payload })
    const rnd = seededRandom(seed)
    const ctx = prompt.slice()
    const lg = new Float32Array(V)
    for (let i = 0; i < n; i++) ctx.push(s.sample(synth.logits(ctx, lg), { random: rnd }))
    return Uint32Array.from(ctx.slice(prompt.length))
  }
  const wrongByAttribution = (wm: Watermarker, ids: Uint32Array, truth: number) =>
    attributeVotes(wm.spec.fingerprint!, fingerprintVotes(wm, ids))?.accounts.filter((a) => a.account !== truth).length ?? 0

  it('agrees with attributeVotes on own-key text, unrelated text, and a two-account text where a second account is rightly named', () => {
    for (let t = 0; t < 4; t++) {
      const wm = key(t)
      const b = (t * 2654435761) >>> 0
      const own = write(wm, b, 200, t)
      const unrelated = write(key(100 + t), b, 200, 50 + t)
      const f = wm.spec.fingerprint!
      for (const [ids, truth] of [[own, b], [unrelated, -1]] as const) {
        const v = judge(f, fingerprintVotes(wm, ids), truth)
        expect(v.wrong).toBe(wrongByAttribution(wm, ids, truth))
        expect(v.minLnP).toBeLessThanOrEqual(0)
      }
      // Account a wrote the first half: relative to truth = b, naming a counts as "wrong",
      // and only the full attribution (the path judge defers to) can find it.
      const a = (b + 12345) >>> 0
      const mixed = Uint32Array.from([...write(wm, a, 300, 200 + t), ...write(wm, b, 300, 300 + t)])
      const m = judge(f, fingerprintVotes(wm, mixed), b)
      expect(m.wrong).toBe(wrongByAttribution(wm, mixed, b))
      expect(m.wrong).toBeGreaterThanOrEqual(1)
      expect(m.minLnP).toBeLessThan(Math.log(1e-6) - 32 * Math.LN2)
    }
  })
})

describe('raceFalseAttribution', () => {
  it('runs the trials it is asked for, names no wrong account, and refuses more variants than an answer has', () => {
    // The trials re-tokenize text: the answers need the full cl100k_base vocabulary.
    const synth = createSyntheticModel({ seed: 5 })
    const V = synth.vocabSize
    const answers = [0, 1].map((i) => {
      const wm = createWatermarker(generateKey({ scheme: 'gumbel', fingerprint: { bits: 32 } }, { secret: Uint8Array.from({ length: 32 }, (_, j) => (i * 17 + j) & 255) }))
      const account = (i + 1) * 1_000_003
      const s = wm.session({ prompt: [i, 1, 2, 3], payload: account })
      const rnd = seededRandom(i)
      const ctx = [i, 1, 2, 3]
      const lg = new Float32Array(V)
      for (let k = 0; k < 400; k++) ctx.push(s.sample(synth.logits(ctx, lg), { random: rnd }))
      const ids = Uint32Array.from(ctx.slice(4))
      return { wm, account, ids, plain: ids }
    })
    const partials: number[] = []
    const r = raceFalseAttribution(answers, 4, 6, 1, 'test', () => {}, (p) => partials.push(p.nullTrials + p.ownTrials))
    expect([r.nullTrials, r.ownTrials, r.ownAnswers]).toEqual([4, 6, 2])
    // 10 trials, each naming a wrong account with probability <= 1e-6.
    expect(r.nullWrong + r.ownWrong).toBe(0)
    expect(r.minLog10PCorrected).toBeGreaterThanOrEqual(r.minLog10P)
    expect(r.threshold).toBeCloseTo(-6 - 32 * Math.log10(2), 10)
    expect(partials).toEqual([]) // progress is written every 2,500 trials
    // A 400-token answer has 201 windows x 3 strengths = 603 distinct variants.
    expect(() => raceFalseAttribution(answers.slice(0, 1), 0, 604, 1, 'test')).toThrow(/only 603 distinct ones/)
  }, 120_000)
})

describe('racePower', () => {
  it('gives every answer its own account, counts every cell, and names no wrong account', () => {
    const model = loadOrTrainDefaultModel()
    const { result, texts } = racePower(model, { temperature: 1, topP: 1 }, 2, 7, 'test')
    expect(new Set(texts.map((t) => t.account)).size).toBe(2)
    expect(new Set(texts.map((t) => t.wm.keyId)).size).toBe(2)
    expect(texts.every((t) => t.ids.length === 400 && t.plain.length === 400)).toBe(true)
    expect(result.cells.map((c) => `${c.attack}@${c.tokens}`)).toEqual(['none@100', 'none@200', 'none@400', 'synonym 10%@100', 'synonym 10%@200', 'synonym 10%@400'])
    expect(result.cells.every((c) => c.n === 2)).toBe(true)
    // Each of the 12 decodings names a wrong account with probability <= 1e-6 (the corrected test).
    expect(result.cells.reduce((s, c) => s + c.wrong, 0)).toBe(0)
    expect(result.perplexity.low).toBeLessThanOrEqual(result.perplexity.ratio)
    expect(result.perplexity.high).toBeGreaterThanOrEqual(result.perplexity.ratio)
    const md = raceEvalMarkdown({ point: 't1', seed: 7, power: result, falseAttribution: { nullTrials: 0, nullWrong: 0, ownTrials: 0, ownWrong: 0, ownAnswers: 0, minLog10P: 0, minLog10PCorrected: 0, threshold: -15.63 } }, 'cmd')
    expect(md).toContain('| none | 400 | 2 |')
    expect(md).not.toMatch(/secret/i)
  }, 240_000)
})

describe('lab eval-race options', () => {
  it('refuses an unknown point and too few answers with exit 2, naming the option', async () => {
    for (const [args, message] of [
      [['eval-race', '--point', 'bogus'], /--point must be one of t1, calibrated, low, got "bogus"/],
      [['eval-race', '--answers', '1'], /--answers must be an integer from 2/],
      [['eval-race', '--null-trials', '-3'], /--null-trials/],
    ] as const) {
      let err = ''
      const code = await lab([...args], { out: () => {}, err: (s) => (err += s) })
      expect(code).toBe(2)
      expect(err).toMatch(message)
    }
  })
})
