import { createWatermarker, generateKey, scoreTokens, seededRandom } from '@tracemark/watermark'
import { getTokenizer } from '@tracemark/detector'
import { beforeAll, describe, expect, it } from 'vitest'
import { splitCorpus } from '../src/corpus/corpus.js'
import { corpusPrompts } from '../src/corpus/prompts.js'
import { generate } from '../src/generate.js'
import { loadOrTrainDefaultModel } from '../src/model/default.js'
import { logits as fullLogits, sparseTopLogits, type NgramModel } from '../src/model/ngram.js'
import { createFastGenerator } from '../src/steal/fast-generate.js'
import { countAnswer, createCounts, learn } from '../src/steal/learn.js'
import { scrub } from '../src/steal/attack.js'
import { run as lab } from '../src/cli/program.js'

let model: NgramModel
let prompts: number[][]
beforeAll(() => {
  model = loadOrTrainDefaultModel()
  const tok = getTokenizer('cl100k_base')
  prompts = corpusPrompts(splitCorpus().heldOut, { count: 200, stride: 1, seed: 5 }).map((p) => Array.from(tok.encode(p)))
})

describe('sparseTopLogits', () => {
  it('every token above the floor has its exact logit, and no token read holds more than its exact logit', () => {
    const V = model.vocabSize
    const full = new Float32Array(V)
    const out = new Float32Array(V).fill(-Infinity)
    const touched = new Int32Array(V)
    const unigramIds = Int32Array.from(Array.from(model.unigramLogProb.subarray(0, 100_257), (lp, id) => [lp, id]).sort((a, b) => b[0] - a[0]).slice(0, 128).map(([, id]) => id))
    const order: Array<Map<number, Int32Array>> = []
    let above = 0
    for (let c = 0; c < 120; c++) {
      // Contexts of every depth: prompts cut at every length from 1 to 6 tokens.
      const p = prompts[c]
      const context = p.slice(0, 1 + (c % Math.min(6, p.length)))
      fullLogits(model, context, full)
      const r = sparseTopLogits(model, context, out, touched, unigramIds, 32, order)
      for (let t = 0; t < 100_257; t++) {
        if (out[t] !== -Infinity) expect(out[t]).toBeLessThanOrEqual(full[t] + 1e-5)
        if (full[t] > r.floor + 1e-4) {
          expect(out[t]).toBeCloseTo(full[t], 5)
          above++
        }
      }
      for (let j = 0; j < r.count; j++) out[touched[j]] = -Infinity
    }
    // The property must have been exercised on many tokens (the successor lists are cut at 32).
    expect(above).toBeGreaterThan(1000)
  })
})

describe('fast top-k generator', () => {
  it('emits exactly the tokens of generate() with top-k 50 for gumbel with a fingerprint, kgw and synthid (their slack included)', () => {
    for (const spec of [{ scheme: 'gumbel', fingerprint: { bits: 32 } }, { scheme: 'kgw' }, { scheme: 'synthid' }] as const) {
      const key = generateKey({ ...spec, vocabSize: model.vocabSize }, { secret: new Uint8Array(32).fill(9) })
      const wm = createWatermarker(key)
      const payload = 'fingerprint' in spec ? 77 : undefined
      const slack = (spec.scheme === 'kgw' ? 2 : 0) + (payload === undefined ? 0 : 4)
      const fast = createFastGenerator(model, { topK: 50, slack })
      for (let i = 0; i < 3; i++) {
        const want = generate(model, { key: wm, prompt: prompts[i], maxTokens: 60, seed: i, topK: 50, payload })
        const got = fast.generate({ prompt: prompts[i], maxTokens: 60, session: wm.session({ prompt: prompts[i], payload }), random: seededRandom(i) })
        expect(Array.from(got)).toEqual(Array.from(want.ids))
      }
    }
  })

  it('emits exactly the tokens of generate() without a watermark too (the attacker\'s own answers), at temperature 1 and 0.6', () => {
    const fast = createFastGenerator(model, { topK: 50, slack: 0 })
    for (const temperature of [1, 0.6]) {
      for (let i = 0; i < 4; i++) {
        const want = generate(model, { watermark: false, prompt: prompts[10 + i], maxTokens: 60, seed: i, topK: 50, temperature })
        const got = fast.generate({ prompt: prompts[10 + i], maxTokens: 60, session: null, random: seededRandom(i), temperature })
        expect(Array.from(got)).toEqual(Array.from(want.ids))
      }
    }
    // Most steps are proved from the narrow candidate set; the test is only meaningful if some are.
    const st = fast.stats()
    expect(st.widened).toBeLessThan(st.steps)
  })
})

describe('watermark stealing', () => {
  // KGW LeftHash h=1, gamma 0.25: 60 answers of 80 tokens. The attacker's own
  // model is the victim's here (the lab run uses a model trained on other text);
  // what is tested is that the counts single out green (context, token) pairs.
  const key = generateKey({ scheme: 'kgw', h: 1, seeding: 'left', vocabSize: 100_277 }, { secret: new Uint8Array(32).fill(3) })
  const wm = createWatermarker(key)
  const green = (u: number, t: number) => scoreTokens(wm, [u, t]).score[0] === 1

  it('learns which tokens the key favours in which context', () => {
    const fast = createFastGenerator(model, { topK: 50, slack: 2 })
    const counts = createCounts(1)
    for (let q = 0; q < 60; q++) {
      const p = prompts[q]
      countAnswer(counts, p, fast.generate({ prompt: p, maxTokens: 80, session: wm.session({ prompt: p }), random: seededRandom(q) }), true)
      countAnswer(counts, p, fast.generate({ prompt: p, maxTokens: 80, session: null, random: seededRandom(1000 + q) }), false)
    }
    const learned = learn(counts, model)
    const pairs: boolean[] = []
    for (const [w, fav] of learned.window) for (const [t, s] of fav) if (s >= 1) pairs.push(green(Number(w), t))
    // A key-blind learner would pick green pairs at rate gamma = 0.25; more than
    // 4 standard deviations above that has probability < 1e-4 by chance.
    const n = pairs.length
    expect(n).toBeGreaterThan(100)
    const rate = pairs.filter(Boolean).length / n
    expect(rate).toBeGreaterThan(0.25 + 4 * Math.sqrt((0.25 * 0.75) / n))

    // Scrubbing replaces the favoured tokens it finds: the rewritten answer has fewer green tokens.
    const p = prompts[150]
    const answer = fast.generate({ prompt: p, maxTokens: 80, session: wm.session({ prompt: p }), random: seededRandom(99) })
    const greens = (ids: ArrayLike<number>) => scoreTokens(wm, [p.at(-1)!, ...Array.from(ids)]).score.reduce((a, b) => a + b, 0)
    const s = scrub(fast, learned, p, answer, { threshold: 0.5 })
    expect(s.changed).toBeGreaterThan(0)
    expect(greens(s.ids)).toBeLessThan(greens(answer))
  })
})

describe('tracemark-lab steal', () => {
  it('rejects bad checkpoints and configurations with exit 2, naming the option', async () => {
    let err = ''
    const io = { out: () => {}, err: (s: string) => (err += s) }
    expect(await lab(['steal', '--out', '/tmp/x', '--queries', '100,50'], io)).toBe(2)
    expect(err).toMatch(/--queries must be ascending/)
    expect(await lab(['steal', '--out', '/tmp/x', '--configs', '9'], io)).toBe(2)
    expect(err).toMatch(/--configs: indexes go from 0 to 8/)
    err = ''
    expect(await lab(['steal', '--out', '/tmp/x', '--temperature', '0'], io)).toBe(2)
    expect(err).toMatch(/--temperature/)
  })
})
