import { describe, expect, it } from 'vitest'
import { radioactivityByReading, radioactivityFromAnswers } from '@tracemark/detector'
import { createWatermarker, generateKey, seededRandom } from '@tracemark/watermark'
import { ksUniform } from '../packages/detector/src/stats/ks.js'
import { binomialBounds, testSecret, watermarkedWords } from './helpers.js'

const V = 100_277
const randomIds = (rnd: () => number, n: number) => Uint32Array.from({ length: n }, () => Math.floor(rnd() * V))

// A clean suspect never saw our watermark. Its radioactivity p-value must then be
// uniform over keys (KS over 300 fresh keys: the KS p-value is itself uniform, so
// > 1e-3 fails a correct test with probability 1e-3; fixed seeds make it
// deterministic), and the two safeguards must be what makes it so.
describe('radioactivity test', () => {
  it('closed model: a clean suspect gets uniform p-values', () => {
    const rnd = seededRandom(31)
    const ps: number[] = []
    for (let k = 0; k < 300; k++) {
      const wm = createWatermarker(generateKey({ scheme: 'gumbel' }, { secret: testSecret(k, 60) }))
      const samples = Array.from({ length: 5 }, () => ({ prompt: randomIds(rnd, 20), answer: randomIds(rnd, 60) }))
      ps.push(radioactivityFromAnswers(wm, samples).pValue)
    }
    expect(ksUniform(ps).pValue).toBeGreaterThan(1e-3)
  })

  it('closed model: without prompt exclusion, a clean model that echoes its (watermarked) prompts looks radioactive', () => {
    const key = generateKey({ scheme: 'kgw' }, { secret: testSecret(1, 61) })
    const wm = createWatermarker(key)
    // We probe with our own watermarked text as prompts; the clean suspect quotes
    // the prompt back (as models often do) and adds unrelated text.
    const rnd = seededRandom(5)
    const samples = Array.from({ length: 8 }, (_, i) => {
      const prompt = watermarkedWords(key, 80, 700 + i).ids
      const answer = Uint32Array.from([...prompt.subarray(10, 70), ...randomIds(rnd, 40)])
      return { prompt, answer }
    })
    const naive = radioactivityFromAnswers(wm, samples, { excludeInputs: false })
    const safe = radioactivityFromAnswers(wm, samples)
    expect(naive.pValue).toBeLessThan(1e-6)
    expect(safe.pValue).toBeGreaterThan(1e-3)
    expect(safe.excludedInput).toBeGreaterThan(300)
  })

  it('closed model: without dedup, a clean model that repeats itself gives non-uniform p-values', () => {
    // Each answer repeated 20 times: without dedup the same chance deviation is
    // counted 20 times, so the false-positive rate at 0.01 explodes; with dedup
    // it stays inside Binomial(300, 0.01) bounds.
    const rnd = seededRandom(77)
    let naiveFp = 0
    let safeFp = 0
    for (let k = 0; k < 300; k++) {
      const wm = createWatermarker(generateKey({ scheme: 'kgw' }, { secret: testSecret(k, 62) }))
      const answer = randomIds(rnd, 50)
      const samples = Array.from({ length: 20 }, () => ({ prompt: [], answer }))
      if (radioactivityFromAnswers(wm, samples, { dedup: false }).pValue < 0.01) naiveFp++
      if (radioactivityFromAnswers(wm, samples).pValue < 0.01) safeFp++
    }
    const [, hi] = binomialBounds(300, 0.01)
    expect(safeFp).toBeLessThanOrEqual(hi)
    expect(naiveFp).toBeGreaterThan(hi)
  })

  it('reading mode: a clean model that predicts our text perfectly, or predicts unrelated tokens, is not radioactive', () => {
    const key = generateKey({ scheme: 'kgw' }, { secret: testSecret(2, 63) })
    const wm = createWatermarker(key)
    const texts = Array.from({ length: 6 }, (_, i) => watermarkedWords(key, 120, 900 + i).ids)
    // A clean model that knows the continuation (e.g. the text is public) predicts
    // each actual next token: every such tuple is in our text and is excluded.
    const lookup = new Map<string, number>()
    for (const t of texts) for (let i = 4; i < t.length; i++) lookup.set(Array.from(t.subarray(i - 4, i)).join(','), t[i])
    const copier = (ctx: ArrayLike<number>) => lookup.get(Array.from(ctx).slice(-4).join(',')) ?? 0
    const naive = radioactivityByReading(wm, texts, copier, { excludeInputs: false })
    const safe = radioactivityByReading(wm, texts, copier)
    expect(naive.pValue).toBeLessThan(1e-6)
    expect(safe.scored).toBe(0)
    expect(safe.pValue).toBe(1)
    // A clean model predicting unrelated tokens: not radioactive.
    const rnd = seededRandom(3)
    const clean = radioactivityByReading(wm, texts, () => Math.floor(rnd() * V))
    expect(clean.pValue).toBeGreaterThan(1e-3)
  })
})
