import { generateKey, createWatermarker } from '@tracemark/watermark'
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
