import { describe, expect, it } from 'vitest'
import { detect } from '@tracemark/detector'
import { createWatermarker, generateKey, seededRandom, type SpecInput } from '@tracemark/watermark'
import { createSyntheticModel } from '../packages/lab/src/synthetic.js'
import { testSecret } from './helpers.js'

// Each scheme, generating from a heavy-tailed synthetic LM with 2.5-4.5 nats of
// entropy over a 100k vocabulary, must be detected at p < 1e-6 within 200 tokens.
// Expected strength (per token, at ~3.5 nats): kgw gamma 0.25 delta 2 turns ~60%
// of tokens green against 25% under H0, z ~ 11 at 200 tokens (p ~ 1e-28);
// gumbel's mean score E[-ln(1-r)] is 1 + H-ish, several nats above the null mean
// of 1; synthid's 16 layers each lift the g-bit mean above 1/2. The 1e-6 bar is
// orders of magnitude from these, so the test checks the mechanism, not luck.
const SCHEMES: SpecInput[] = [
  { scheme: 'kgw' },
  { scheme: 'kgw', seeding: 'left', h: 1 },
  { scheme: 'gumbel' },
  { scheme: 'synthid' },
  { scheme: 'unigram' },
]

function generate(spec: SpecInput, seed: number, tokens: number, sampleOpts = {}): Uint32Array {
  const model = createSyntheticModel({ seed })
  const key = generateKey(spec, { secret: testSecret(seed, 7) })
  const s = createWatermarker(key).session({ prompt: [seed, seed + 1, seed + 2, seed + 3] })
  const rnd = seededRandom(seed)
  const ctx: number[] = [seed, seed + 1, seed + 2, seed + 3]
  const logits = new Float32Array(model.vocabSize)
  const out = new Uint32Array(tokens)
  for (let i = 0; i < tokens; i++) {
    model.logits(ctx, logits)
    const id = s.sample(logits, { random: rnd, ...sampleOpts })
    ctx.push(id)
    out[i] = id
  }
  return out
}

describe('watermarked generation is detected within 200 tokens', () => {
  for (const spec of SCHEMES) {
    it(`${JSON.stringify(spec)}: p < 1e-6 for each of 5 seeds`, () => {
      for (let seed = 1; seed <= 5; seed++) {
        const ids = generate(spec, seed, 200)
        const key = generateKey(spec, { secret: testSecret(seed, 7) })
        const r = detect(ids, key)
        expect(r.pValue, `seed ${seed}`).toBeLessThan(1e-6)
        expect(r.detected).toBe(true)
        // A different key sees nothing special in the same text.
        const other = detect(ids, generateKey(spec, { secret: testSecret(seed, 8) }))
        expect(other.pValue).toBeGreaterThan(1e-6)
      }
    })
  }

  it('host top-k 50 and top-p 0.9 sampling still carries the watermark', () => {
    for (const spec of SCHEMES) {
      const ids = generate(spec, 11, 200, { topK: 50, topP: 0.9, temperature: 0.9 })
      const r = detect(ids, generateKey(spec, { secret: testSecret(11, 7) }))
      expect(r.pValue, JSON.stringify(spec)).toBeLessThan(1e-6)
    }
  })
})
