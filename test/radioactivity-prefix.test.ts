import { describe, expect, it } from 'vitest'
import { radioactivityFromAnswers, servedPrefixPrompts } from '@tracemark/detector'
import { WALK_STEP } from '../packages/detector/src/probe/served-prefix.js'
import { createWatermarker, generateKey, sampleLogits, seededRandom, type SpecInput, type Watermarker } from '@tracemark/watermark'
import { createSyntheticModel } from '../packages/lab/src/synthetic.js'
import { binomialBounds, testSecret } from './helpers.js'

const V = 2000
const H = 4
type Model = ReturnType<typeof createSyntheticModel>
const windowOf = (ctx: ArrayLike<number>, end: number) => Array.from({ length: H }, (_, i) => ctx[end - H + i]).join(',')

/**
 * Continues `prompt` by `tokens`: watermarked when `wm` is given; otherwise from
 * the model, except that at a window found in `memory` the remembered next token
 * is emitted with probability `follow` (a suspect that learned or saw those texts).
 */
function continueText(model: Model, prompt: ArrayLike<number>, tokens: number, seed: number, o: { wm?: Watermarker; memory?: Map<string, number>; follow?: number } = {}): Uint32Array {
  const s = o.wm?.session({ prompt, payload: o.wm.spec.fingerprint ? 4242 : undefined })
  const rnd = seededRandom(seed)
  const ctx = Array.from(prompt)
  const logits = new Float32Array(V)
  for (let i = 0; i < tokens; i++) {
    const known = ctx.length >= H ? o.memory?.get(windowOf(ctx, ctx.length)) : undefined
    if (known !== undefined && rnd() < (o.follow ?? 1)) {
      ctx.push(known)
      continue
    }
    model.logits(ctx, logits)
    ctx.push(s ? s.sample(logits, { random: rnd }) : sampleLogits(logits, { random: rnd }))
  }
  return Uint32Array.from(ctx.slice(prompt.length))
}

function remember(memory: Map<string, number>, text: ArrayLike<number>): void {
  for (let i = H; i < text.length; i++) memory.set(windowOf(text, i), text[i])
}

/** Our answers under `wm`, then the suspect walked through them with causal exclusion (asked `step` tokens every `step`); returns the result. */
function trial(wm: Watermarker, teacher: Model, k: number, suspect: 'clean' | 'copies prompts' | 'learned answers', step: number, exclusion: 'causal' | 'all' = 'causal') {
  const served = Array.from({ length: 6 }, (_, i) => {
    const prompt = [(k * 6 + i) % V, 11, 12, 13]
    return { prompt, answer: continueText(teacher, prompt, 60, 100 * k + i, { wm }) }
  })
  const memory = new Map<string, number>()
  if (suspect === 'learned answers') for (const s of served) remember(memory, [...s.prompt, ...s.answer])
  const walk = servedPrefixPrompts(served, { start: 8, step })
  // A suspect that copies from every prompt it was sent so far: a round's prompts
  // go out together, so it has seen the whole round (its own prompt included).
  const samples = walk.map(({ prompt, round }, i) => {
    if (suspect === 'copies prompts') for (const w of walk) if (w.round === round) remember(memory, w.prompt)
    return { prompt, round, answer: continueText(teacher, prompt, step, 1e6 + 1000 * k + i, { memory, follow: suspect === 'learned answers' ? 0.6 : 1 }) }
  })
  return radioactivityFromAnswers(wm, samples, { exclusion })
}

describe('probing along our served answers', () => {
  it('orders prompts by prefix length first, and names bad input', () => {
    const served = [{ prompt: [1, 2], answer: [3, 4, 5] }, { prompt: [6], answer: [7, 8] }]
    expect(servedPrefixPrompts(served, { start: 1, step: 1 }).map((p) => [p.round, ...p.prompt])).toEqual([[0, 1, 2, 3], [0, 6, 7], [1, 1, 2, 3, 4]])
    expect(() => servedPrefixPrompts(served, { step: 0 })).toThrow(/step must be a positive integer/)
    expect(() => servedPrefixPrompts([{ prompt: [1], answer: [] }])).toThrow(/served answer 0 is empty/)
  })

  // Clean suspects: the teacher's own model unwatermarked (it predicts our next
  // token as well as anything can), and one that also copies whatever followed a
  // window in any prompt sent so far. The prompts are our watermarked answers'
  // prefixes, decided by the key. The p-values over keys must be super-uniform:
  // the count below alpha stays within the binomial acceptance bound of helpers.ts,
  // which a valid test exceeds with probability < 5e-4.
  // Strides: the default (WALK_STEP, one token at every position) for every scheme, and
  // 4 (`--walk-step 4`) for plain gumbel: the argument above does not depend on the stride.
  for (const spec of [{ scheme: 'gumbel' }, { scheme: 'gumbel', fingerprint: {} }, { scheme: 'kgw' }] as SpecInput[]) {
    const strides = spec.scheme === 'gumbel' && !spec.fingerprint ? [WALK_STEP, 4] : [WALK_STEP]
    it(`${JSON.stringify(spec)}: clean suspects are not accused under causal exclusion (100 keys each, strides ${strides.join(' and ')})`, () => {
      const teacher = createSyntheticModel({ vocabSize: V, seed: 3 })
      for (const step of strides) {
        for (const suspect of ['clean', 'copies prompts'] as const) {
          const ps: number[] = []
          for (let k = 0; k < 100; k++) {
            const wm = createWatermarker(generateKey({ ...spec, vocabSize: V }, { secret: testSecret(k, 70) }))
            ps.push(trial(wm, teacher, k, suspect, step).pValue)
          }
          for (const a of [0.05, 0.2]) expect(ps.filter((p) => p <= a).length, `${suspect}, stride ${step}, alpha ${a}`).toBeLessThanOrEqual(binomialBounds(100, a)[1])
        }
      }
    }, 1_200_000)
  }

  // A suspect that learned our answers and follows them 60% of the time at each
  // point of the walk. The synthetic model's entropy is low, so a winner's score is
  // only modestly above 1: measured log10 p -83 to -106 over these 5 keys at stride
  // 1 and -26 to -57 at stride 4 (an earlier stride-4 walk with a 30% follow rate
  // left one key at -2.1); the threshold is -6.
  it('a suspect that learned the served answers is radioactive', () => {
    const teacher = createSyntheticModel({ vocabSize: V, seed: 3 })
    for (let k = 0; k < 5; k++) {
      const wm = createWatermarker(generateKey({ scheme: 'gumbel', vocabSize: V }, { secret: testSecret(k, 71) }))
      for (const step of [WALK_STEP, 4]) expect(trial(wm, teacher, k, 'learned answers', step).pValue, `stride ${step}`).toBeLessThan(1e-6)
    }
  })
})
