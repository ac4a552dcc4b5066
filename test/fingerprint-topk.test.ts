import { accountCodeword, COLOURS, createWatermarker, fingerprintVotes, generateKey, seededRandom } from '@tracemark/watermark'
import { describe, expect, it } from 'vitest'
import { createSyntheticModel } from '../packages/lab/src/synthetic.js'
import { testSecret } from './helpers.js'

// Behind a top-k host the fingerprint biases only the candidates, found with its
// delta as extra selection slack. With an overwhelming delta the favoured colour
// must win at (nearly) every position, exactly as on the full-vocabulary path. If
// the slack were missing, only tokens already in the unbiased top 50 could win, and
// one of them has the favoured colour with probability 1 - (255/256)^50 = 18 %.
describe('fingerprint behind a truncating host', () => {
  const V = 100_277
  const model = createSyntheticModel({ vocabSize: V, seed: 4 })
  const run = (o: { topK?: number; temperature?: number }) => {
    const key = generateKey({ scheme: 'gumbel', fingerprint: { bits: 32, delta: 60 } }, { secret: testSecret(3, 70) })
    const wm = createWatermarker(key)
    const account = 0x1234abcd
    const prompt = [11, 22, 33, 44, 55]
    const s = wm.session({ prompt, payload: account })
    const rnd = seededRandom(8)
    const ids = [...prompt]
    for (let i = 0; i < 400; i++) ids.push(s.sample(model.logits(ids.slice(-2)), { ...o, random: rnd }))
    const votes = fingerprintVotes(wm, ids, { start: prompt.length })
    const cw = accountCodeword(key.spec.fingerprint!, account)
    let match = 0
    for (let p = 0; p < votes.positions; p++) match += votes.counts[p * COLOURS + cw[p]]
    return match / votes.scored
  }

  it('the favoured colour wins with top-k, greedy and the full vocabulary alike', () => {
    // delta 60 outweighs every logit gap of the synthetic model (log-rank over 1e5
    // tokens spans 11.5 nats plus context noise), so every step is won by the colour.
    for (const o of [{}, { topK: 50 }, { topK: 5 }, { temperature: 0 }]) expect(run(o)).toBeGreaterThan(0.98)
  })
})
