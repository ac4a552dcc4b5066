import { softmax, Tensor, topk } from '@huggingface/transformers'
import { createWatermarker, generateKey } from '@tracemark/watermark'
import { watermarkedTokens } from '@tracemark/watermark/llama-cpp'
import { watermarkLogitsProcessor } from '@tracemark/watermark/transformers'
import type { Token } from 'node-llama-cpp'
import { loadLlamaCppModel } from '../src/runtimes/llama-model.js'
import { modelCacheDir } from '../src/runtimes/model-cache.js'
import { buildTinyGgufModel } from '../src/runtimes/tiny-gguf.js'
import { buildTinyOnnxModel } from '../src/runtimes/tiny-onnx.js'
import { TINY_VOCAB_SIZE } from '../src/runtimes/tiny-vocab.js'
import { createSyntheticModel } from '../src/synthetic.js'
import { loadTransformersModel } from '../src/runtimes/transformers-model.js'
import { benchAsync, fmtUs, type Result } from './harness.js'

/** Tokens generated per measured call (after a 3-token prompt). */
const TOKENS = 16
/** The tiny test vocabulary, Llama 3's logits length, Qwen's. */
const VOCABS = [TINY_VOCAB_SIZE, 128_256, 151_936]

function report(title: string, results: Result[]): void {
  const base = results[0].medianUs / TOKENS
  console.log(`\n${title}: time per generated token`)
  for (const r of results) {
    const us = r.medianUs / TOKENS
    const d = us - base
    const extra = r === results[0] ? '' : `  (${d >= 0 ? '+' : '-'}${fmtUs(Math.abs(d))} a token)`
    console.log(`  ${r.name.padEnd(26)} ${fmtUs(us).padStart(10)}  x${(us / base).toFixed(2)}${extra}`)
  }
}

/**
 * Adapter overhead per generated token against the runtime's own sampler, on tiny
 * random-weight models (one small layer: the vocabulary-sized work dominates, so the
 * ratios are an upper bound of what a real model's forward pass would show) at the
 * test vocabulary and at real logits lengths; and the transformers.js processor alone
 * on synthetic logits of real vocabulary sizes. gumbel, temperature 1.
 */
export async function benchRuntimes(): Promise<void> {
  for (const V of VOCABS.slice(1)) await benchProcessorOnLogits(V)
  for (const V of VOCABS) await benchTransformers(V)
  for (const V of VOCABS) await benchLlamaCpp(V)
}

async function benchTransformers(V: number): Promise<void> {
  const tm = await loadTransformersModel(buildTinyOnnxModel(modelCacheDir(), { vocabSize: V }))
  const wm = createWatermarker(generateKey({ scheme: 'gumbel', tokenizer: 'tiny-bpe', vocabSize: V }))
  const prompt = tm.tokenizer.encode(' ab cd ef', { add_special_tokens: false })
  const inputs = () => ({
    input_ids: new Tensor('int64', BigInt64Array.from(prompt.map(BigInt)), [1, prompt.length]),
    attention_mask: new Tensor('int64', new BigInt64Array(prompt.length).fill(1n), [1, prompt.length]),
  })
  for (const topK of [0, 50]) {
    const gen = { max_new_tokens: TOKENS, min_new_tokens: TOKENS, do_sample: true, top_k: topK }
    const results = await benchAsync([
      { name: 'runtime sampler', run: () => tm.model.generate({ ...inputs(), ...gen }) },
      { name: 'watermark processor', run: () => tm.model.generate({ ...inputs(), ...gen, logits_processor: watermarkLogitsProcessor(wm, tm.model, gen) }) },
    ])
    report(`transformers.js ${tm.model.constructor.name}, V = ${V}, ${topK ? `top-k ${topK}` : 'full vocabulary'}`, results)
  }
  await tm.model.dispose()
}

async function benchLlamaCpp(V: number): Promise<void> {
  const lm = await loadLlamaCppModel(buildTinyGgufModel(modelCacheDir(), { vocabSize: V }))
  const context = await lm.model.createContext({ contextSize: 256, sequences: 1, threads: 1 })
  const seq = context.getSequence()
  const wm = createWatermarker(generateKey({ scheme: 'gumbel', tokenizer: 'tiny-bpe', vocabSize: V }))
  const prompt = lm.model.tokenize(' ab cd ef')
  const drain = async (tokens: AsyncIterable<Token>) => {
    let n = 0
    for await (const _ of tokens) if (++n === TOKENS) break
    await seq.clearHistory()
    return n
  }
  for (const topK of [0, 50]) {
    const results = await benchAsync([
      { name: 'runtime sampler', run: () => drain(seq.evaluate(prompt, { temperature: 1, topK, topP: 1, minP: 0 })) },
      { name: 'watermarkedTokens', run: () => drain(watermarkedTokens(seq, wm, prompt, { maxTokens: TOKENS, topK, stopOnEog: false })) },
    ])
    report(`node-llama-cpp tiny Llama GGUF, V = ${V}, ${topK ? `top-k ${topK}` : 'full vocabulary'}, 1 thread`, results)
  }
  await context.dispose()
  await lm.model.dispose()
}

/**
 * One transformers.js decoding step on synthetic logits (the lab's Zipf-shaped model,
 * 2.5-4.5 nats): the runtime's own multinomial sampler (ONNX TopK, softmax, draw) or
 * greedy argmax, with and without the watermark processor in front of it. Isolates
 * the processor's cost from the model's forward pass.
 */
async function benchProcessorOnLogits(V: number): Promise<void> {
  const synth = createSyntheticModel({ vocabSize: V })
  const pool = Array.from({ length: 8 }, (_, i) => synth.logits([i, 2 * i + 1]))
  const wm = createWatermarker(generateKey({ scheme: 'gumbel', tokenizer: 'synthetic', vocabSize: V }))
  for (const topK of [0, 50]) {
    const settings = { do_sample: true, temperature: 1, top_k: topK, top_p: 1, num_beams: 1 }
    const model = { _prepare_generation_config: () => settings }
    const sampler = async (t: Tensor): Promise<number> => {
      const [v, i] = await topk(t, topK > 0 ? topK : V)
      const p = softmax(v.data as Float32Array)
      let u = Math.random()
      let j = 0
      while (j < p.length - 1 && (u -= p[j]) > 0) j++
      return Number((i.data as BigInt64Array | Int32Array)[j])
    }
    let step = 0
    const logits = () => {
      const data = Float32Array.from(pool[step++ % pool.length])
      return new Tensor('float32', data, [1, V])
    }
    let processor = watermarkLogitsProcessor(wm, model, {})
    let row: bigint[] = []
    const results = await benchAsync([
      { name: 'runtime sampler', run: () => sampler(logits()) },
      {
        name: 'watermark + sampler',
        run: async () => {
          // A fresh sequence now and then keeps the session's history short.
          if (row.length === 0 || row.length > 512) {
            processor = watermarkLogitsProcessor(wm, model, {})
            row = [1n, 2n, 3n, 4n, 5n]
          }
          const t = logits()
          processor([row], t)
          const token = await sampler(t)
          row.push(BigInt(token))
          return token
        },
      },
    ])
    reportStep(`transformers.js sampling step on synthetic logits, V = ${V}, ${topK ? `top-k ${topK}` : 'full vocabulary'}`, results)
  }
}

function reportStep(title: string, results: Result[]): void {
  const base = results[0].medianUs
  console.log(`\n${title}: time per step`)
  for (const r of results) {
    const d = r.medianUs - base
    const extra = r === results[0] ? '' : `  (${d >= 0 ? '+' : '-'}${fmtUs(Math.abs(d))} a token)`
    console.log(`  ${r.name.padEnd(26)} ${fmtUs(r.medianUs).padStart(10)}  x${(r.medianUs / base).toFixed(2)}${extra}`)
  }
}
