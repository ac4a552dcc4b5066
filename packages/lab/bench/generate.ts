import { generateKey, createWatermarker, seededRandom } from '@tracemark/watermark'
import { getTokenizer } from '@tracemark/detector'
import { createFastGenerator } from '../src/steal/fast-generate.js'
import { generate } from '../src/generate.js'
import { loadOrTrainDefaultModel } from '../src/model/default.js'
import { bench } from './harness.js'
import { EMBED_SCHEMES } from './embed.js'

/** Tokens per second of the reference model, plain and with each watermark, full vocabulary and top-k 50. */
export function benchGenerate(): void {
  const model = loadOrTrainDefaultModel()
  const TOKENS = 64
  for (const topK of [0, 50]) {
    let seed = 0
    const cases = [{ name: 'no watermark', run: () => generate(model, { prompt: 'The nation', maxTokens: TOKENS, seed: seed++, topK, stopAtEnd: false }) }]
    for (const spec of EMBED_SCHEMES) {
      const wm = createWatermarker(generateKey(spec))
      const name = spec.scheme === 'kgw' ? `kgw-${spec.seeding ?? 'self'}` : spec.scheme
      cases.push({ name, run: () => generate(model, { key: wm, prompt: 'The nation', maxTokens: TOKENS, seed: seed++, topK, stopAtEnd: false }) })
    }
    const results = bench(cases, { rounds: 5, roundMs: 400 })
    const base = results[0].medianUs
    console.log(`\ngeneration with the reference model (4-gram KN, V = ${model.vocabSize}), ${topK ? `top-k ${topK}` : 'full vocabulary'}: tokens/s`)
    for (const r of results) {
      console.log(`  ${r.name.padEnd(14)} ${((TOKENS * 1e6) / r.medianUs).toFixed(0).padStart(6)} tokens/s  x${(r.medianUs / base).toFixed(2)} time per token`)
    }
  }
}

/**
 * The attack lab's sparse top-k generator (src/steal/fast-generate.ts) against
 * generate() with top-k 50, same tokens: the fingerprinted default and plain
 * sampling (the attacker's own answers). Ratios are per token, same run.
 */
export function benchFastGenerate(): void {
  const model = loadOrTrainDefaultModel()
  const TOKENS = 64
  const prompt = Array.from(getTokenizer('cl100k_base').encode('The nation'))
  const wm = createWatermarker(generateKey({ scheme: 'gumbel', h: 4, fingerprint: { bits: 32 }, vocabSize: model.vocabSize }))
  const fast = createFastGenerator(model, { topK: 50, slack: 0 })
  let seed = 0
  const results = bench([
    { name: 'generate() plain', run: () => generate(model, { prompt, maxTokens: TOKENS, seed: seed++, topK: 50, stopAtEnd: false }) },
    { name: 'fast plain', run: () => fast.generate({ prompt, maxTokens: TOKENS, session: null, random: seededRandom(seed++) }) },
    { name: 'generate() default', run: () => generate(model, { key: wm, prompt, maxTokens: TOKENS, seed: seed++, topK: 50, payload: 7, stopAtEnd: false }) },
    { name: 'fast default', run: () => fast.generate({ prompt, maxTokens: TOKENS, session: wm.session({ prompt, payload: 7 }), random: seededRandom(seed++) }) },
  ], { rounds: 5, roundMs: 400 })
  console.log('\nsteal lab: sparse top-k generator vs generate() (top-k 50, the default with fingerprint and plain): tokens/s')
  for (const [i, r] of results.entries()) {
    const base = results[i - (i % 2)].medianUs
    console.log(`  ${r.name.padEnd(20)} ${((TOKENS * 1e6) / r.medianUs).toFixed(0).padStart(6)} tokens/s  x${(r.medianUs / base).toFixed(2)} time per token vs generate()`)
  }
}
