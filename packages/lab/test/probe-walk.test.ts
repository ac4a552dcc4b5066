import { getTokenizer, probeEndpoint } from '@tracemark/detector'
import { createWatermarker, generateKey } from '@tracemark/watermark'
import { afterAll, describe, expect, it } from 'vitest'
import { splitCorpus, tokenizeDocuments } from '../src/corpus/corpus.js'
import { corpusPrompts } from '../src/corpus/prompts.js'
import { promptThenAnswer } from '../src/distill/mix.js'
import { generate } from '../src/generate.js'
import { loadOrTrainDefaultModel } from '../src/model/default.js'
import { trainModel } from '../src/model/ngram.js'
import { serve } from '../src/serve/server.js'

const servers: Array<{ close(): Promise<void> }> = []
afterAll(async () => {
  for (const s of servers) await s.close()
})

// probeEndpoint with `served`: the suspect is walked along our answers over HTTP,
// round by round, at temperature 1, and the answers are scored with causal exclusion.
describe('tracemark probe --served (a walk along our served answers)', () => {
  it('convicts a student of the served answers at temperature 1 and names the account; a clean model is not accused', async () => {
    const tok = getTokenizer('cl100k_base')
    const key = generateKey({ scheme: 'gumbel', fingerprint: { bits: 32 } }, { secret: Uint8Array.from({ length: 32 }, (_, i) => (i * 41 + 3) & 255) })
    const wm = createWatermarker(key)
    const split = splitCorpus()
    const human = tokenizeDocuments(split.heldOut.slice(0, 6))
    const served = corpusPrompts(split.train, { count: 6 }).map((prompt, i) => ({
      prompt,
      answer: generate(loadOrTrainDefaultModel(), { key: wm, payload: 77, prompt, maxTokens: 48, seed: i, topK: 50 }).text,
    }))
    // A student trained on human text plus our answers for 20 epochs (a 4-gram model
    // on so little data reproduces a path seen once only ~15% of the time at T 1; seen
    // 20 times ~85%, measured), and a clean one on the human text alone.
    const answers = served.map((s) => promptThenAnswer(tok.encode(s.prompt), tok.encode(s.answer)))
    const student = trainModel([...human, ...Array.from({ length: 20 }, () => answers).flat()])
    const clean = trainModel(human)
    const verdicts = []
    for (const model of [student, clean]) {
      const s = await serve({ model, watermark: false, accounts: { 'sk-probe': 0 }, port: 0 })
      servers.push(s)
      verdicts.push(await probeEndpoint(key, { endpoint: s.url, apiKey: 'sk-probe', served, temperature: 1, concurrency: 3, accounts: [77, 78] }))
    }
    const [r, c] = verdicts
    // Every round was asked once: 48 - 8 rounds (the default stride 1) x 6 answers (fewer when an answer re-tokenizes shorter).
    expect(r.answers).toBeGreaterThan(200)
    expect(r.answers).toBeLessThanOrEqual(240)
    expect(r.radioactive).toBe(true)
    expect(r.attribution?.accounts.map((a) => a.account)).toEqual([77])
    // Under the null the p-value is super-uniform: p <= 1e-3 with probability <= 1e-3.
    expect(c.radioactive).toBe(false)
    expect(c.pValue).toBeGreaterThan(1e-3)
  }, 900_000)
})
