import { describe, expect, it } from 'vitest'
import { createWatermarker, fingerprintVotes, generateKey, scoreTokens, seededRandom } from '@tracemark/watermark'
import { createSyntheticModel } from '../../../lab/src/synthetic.js'
import { attributeVotes } from '../../src/attribution.js'
import { detect, raceZeroBit, testStatistic, uniqueScore } from '../../src/detect.js'
import { createScorer } from '../../src/scan/document.js'
import { QUICK_DECODE_BELOW } from '../../src/scan/race-test.js'

// A scan tests a race key's documents as detect() does (per-token test and best
// account, Bonferroni), but decodes the account from quick votes, and only past the
// per-token gate, unless asked for the full votes. All are exact tests; this checks
// the scan computes exactly them.
describe('scan of a race-fingerprinted key', () => {
  const secret = new Uint8Array(32).fill(7)
  const key = generateKey({ scheme: 'gumbel', fingerprint: { bits: 32 } }, { secret })
  const wm = createWatermarker(key)
  const model = createSyntheticModel({ seed: 3 })
  const docs = [40, 90, 160].map((n, d) => {
    const prompt = [11 + d, 22, 33, 44]
    const s = wm.session({ prompt, payload: 1000 + d })
    const ctx = prompt.slice()
    const logits = new Float32Array(key.spec.vocabSize)
    const rnd = seededRandom(d + 1)
    for (let i = 0; i < n; i++) ctx.push(s.sample(model.logits(ctx, logits), { random: rnd, temperature: 0.7 }))
    return Uint32Array.from(ctx)
  })
  // Text that does not depend on the key: its per-token p is uniform, and these two fall on either side of the gate.
  const rnd = seededRandom(99)
  for (let d = 0; d < 12; d++) docs.push(Uint32Array.from({ length: 120 }, () => Math.floor(rnd() * 50_000)))

  it('with --full-votes gives detect()\'s p-value; by default the same test on quick votes, past the per-token gate', () => {
    const full = createScorer([key], { fullVotes: true })
    const quick = createScorer([key])
    const f = key.spec.fingerprint!
    let differ = 0
    let gated = 0
    docs.forEach((ids, i) => {
      const where = { file: 'x', line: i + 1 }
      const byMap = new Map([[key.spec.tokenizer, ids]])
      expect(full.scoreIds(byMap, where, i).log10PValue).toBeCloseTo(detect(ids, key).log10PValue, 9)
      const u = uniqueScore(scoreTokens(wm, ids))
      const perToken = testStatistic(key.spec, u.n, u.sum)
      // Past the gate: both tests on quick votes. Below it: the account test counts as p = 1.
      const open = perToken.logP < Math.log(QUICK_DECODE_BELOW)
      const want = (open ? raceZeroBit(f, perToken, fingerprintVotes(wm, ids, { quick: true })).logP : Math.LN2 + perToken.logP) / Math.LN10
      const r = quick.scoreIds(byMap, where, i)
      const q = r.log10PValue
      expect(q).toBeCloseTo(Math.min(0, want), 9)
      if (!open) {
        gated++
        expect(r.attribution).toBeNull()
      }
      if (Math.abs(q - detect(ids, key).log10PValue) > 1e-6) differ++
    })
    // The two decodings see different evidence, so the option must show in some record;
    // and unmarked text falls below the gate about half the time (12 documents: P(none) = 2^-12).
    expect(differ).toBeGreaterThan(0)
    expect(gated).toBeGreaterThan(0)
  })

  it('decodes past the gate the scan is given: 1 decodes every document, a tiny one none', () => {
    const f = key.spec.fingerprint!
    for (const gate of [1, 0.05, 1e-300]) {
      const scorer = createScorer([key], { decodeBelow: gate })
      let decoded = 0
      docs.forEach((ids, i) => {
        const byMap = new Map([[key.spec.tokenizer, ids]])
        const u = uniqueScore(scoreTokens(wm, ids))
        const perToken = testStatistic(key.spec, u.n, u.sum)
        const open = gate >= 1 || perToken.logP < Math.log(gate)
        const want = (open ? raceZeroBit(f, perToken, fingerprintVotes(wm, ids, { quick: true })).logP : Math.LN2 + perToken.logP) / Math.LN10
        const r = scorer.scoreIds(byMap, { file: 'x', line: i + 1 }, i)
        expect(r.log10PValue).toBeCloseTo(Math.min(0, want), 9)
        if (open) decoded++
        // Not decoded: no account can be named, however strong the watermark (the three marked documents).
        else expect(r.attribution).toBeNull()
      })
      // No text here has a per-token p below 1e-300 (the marked ones are 40-160 tokens),
      // so the tiny gate decodes none of them; gate 1 decodes all 15.
      if (gate === 1) expect(decoded).toBe(docs.length)
      if (gate === 1e-300) expect(decoded).toBe(0)
    }
    expect(() => createScorer([key], { decodeBelow: 0 })).toThrow(/decodeBelow must be a number in \(0, 1\], got 0/)
    expect(() => createScorer([key], { decodeBelow: 1.5 })).toThrow(/decodeBelow/)
  })

  // A race key's record already tests its best accounts, so the scan runs the
  // attribution only for a document whose record passes at the naming level, and
  // skips it for the others. Skipping must lose no account the attribution would
  // name: the trimmed test drops the strongest positions, which costs more than the
  // record's factor 2. A naming level of 0.9 (registry of one account) makes both
  // kinds of document common among unmarked ones.
  it('runs attribution only past the record\'s own test, and names every account it would have named', () => {
    const account = 4242
    const scorer = createScorer([key], { accounts: [account], attributionAlpha: 0.9, decodeBelow: 1 })
    const f = key.spec.fingerprint!
    const r = seededRandom(5)
    let named = 0
    let skipped = 0
    for (let d = 0; d < 200; d++) {
      const ids = Uint32Array.from({ length: 120 }, () => Math.floor(r() * 50_000))
      const rec = scorer.scoreIds(new Map([[key.spec.tokenizer, ids]]), { file: 'x', line: d + 1 }, d)
      const full = attributeVotes(f, fingerprintVotes(wm, ids, { quick: true }), { accounts: [account], alpha: 0.9 })
      expect(rec.attribution?.account ?? null).toBe(full?.account ?? null)
      if (rec.attribution) named++
      if (!(rec.log10PValue < Math.log10(0.9))) skipped++
    }
    expect(named).toBeGreaterThan(0)
    expect(skipped).toBeGreaterThan(0)
  })
})
