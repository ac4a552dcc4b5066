import { detect } from '@tracemark/detector'
import { createWatermarker, generateKey, seededRandom, type WatermarkKey } from '@tracemark/watermark'
import { generateWatermarked, watermarkedTokens } from '@tracemark/watermark/llama-cpp'
import type { LlamaContext, LlamaContextSequence, Token } from 'node-llama-cpp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadLlamaCppModel, type LlamaCppModel } from '../src/runtimes/llama-model.js'
import { runtimeUnavailable } from '../src/runtimes/availability.js'
import { modelCacheDir } from '../src/runtimes/model-cache.js'
import { buildTinyGgufModel } from '../src/runtimes/tiny-gguf.js'

// A real node-llama-cpp (llama.cpp prebuilt CPU binary) pipeline on a tiny
// random-weight Llama GGUF built by the test (near-uniform logits over 8,677 ids).
// Detection is from text: detokenize, tokenize again with the model's own
// tokenizer, score the ids.
// The detector loading a tokenizer.json itself (detect(text, key, { tokenizer })) is
// tested on real Llama 3 / Qwen 3 / DeepSeek V3 / Gemma 3 / Llama 2 files in test/hf-tokenizer-*.test.ts.

let lm: LlamaCppModel
let context: LlamaContext
const secret = Uint8Array.from({ length: 32 }, (_, i) => 11 * i + 3)
const keyFor = (scheme: 'gumbel' | 'kgw', vocabSize: number): WatermarkKey =>
  generateKey({ scheme, tokenizer: 'tiny-bpe', vocabSize }, { secret })

const unavailable = runtimeUnavailable('llama-cpp')
if (unavailable) console.warn(`skipping the llama-cpp tests: ${unavailable}`)

beforeAll(async () => {
  if (unavailable) return
  lm = await loadLlamaCppModel(buildTinyGgufModel(modelCacheDir()))
  // One thread: the CI machine is shared, and llama.cpp's spinning worker threads
  // slow down by orders of magnitude when the cores are busy.
  context = await lm.model.createContext({ contextSize: 1024, sequences: 2, threads: 1 })
})
afterAll(async () => {
  await context?.dispose()
  await lm?.model.dispose()
})

/** Runs `f` on a fresh sequence of the shared context, then frees it. */
async function withSequence<T>(f: (seq: LlamaContextSequence) => Promise<T>): Promise<T> {
  const seq = context.getSequence()
  try {
    return await f(seq)
  } finally {
    seq.dispose()
  }
}

function detectText(text: string, key: WatermarkKey) {
  return detect(lm.model.tokenize(text), key)
}

// Bounds: detect() returns the exact p-value under the null (text independent of
// the key): unwatermarked text falls below 1e-6 with probability 1e-6. The issue
// requires watermarked text to be detected at p < 1e-6 within 200 tokens.
describe.skipIf(unavailable !== null)('node-llama-cpp adapter', () => {
  it('watermarks two sequences generated concurrently (one batch); each is detected from its text', async () => {
    const key = keyFor('gumbel', lm.vocabSize)
    const wm = createWatermarker(key)
    const prompts = [' ab cd', ' kil mo pra']
    // All 200 tokens, past an end-of-generation token: two sequences in one batch need
    // not get bit-identical logits from run to run, and on this near-uniform model an
    // end token comes with probability ~1/8,677 per step, ~4.5 % per run for the pair
    // within 200 steps (one CI run stopped a sequence at 40 tokens).
    const results = await Promise.all(
      prompts.map((p) => withSequence((seq) => generateWatermarked(seq, wm, lm.model.tokenize(p), { maxTokens: 200, stopOnEog: false }))),
    )
    expect(results[0].tokens).not.toEqual(results[1].tokens)
    for (const r of results) {
      const d = detectText(r.text, key)
      expect(d.scored).toBeGreaterThan(150)
      expect(d.pValue).toBeLessThan(1e-6)
    }
  })

  it('honours temperature, top-k, top-p and min-p and is still detected', async () => {
    const key = keyFor('gumbel', lm.vocabSize)
    const wm = createWatermarker(key)
    const opts = { maxTokens: 200, temperature: 0.7, topK: 40, topP: 0.9, minP: 0.01 }
    const r = await withSequence((seq) => generateWatermarked(seq, wm, lm.model.tokenize(' hel lo'), opts))
    expect(detectText(r.text, key).pValue).toBeLessThan(1e-6)
  })

  it('watermarks greedy decoding with a green-list key (kgw moves the argmax)', async () => {
    const key = keyFor('kgw', lm.vocabSize)
    const wm = createWatermarker(key)
    const prompt = lm.model.tokenize(' go')
    const r = await withSequence((seq) => generateWatermarked(seq, wm, prompt, { maxTokens: 200, temperature: 0 }))
    expect(detectText(r.text, key).pValue).toBeLessThan(1e-6)
  })

  it("does not detect the model's own sampler without the adapter", async () => {
    const key = keyFor('gumbel', lm.vocabSize)
    const tokens = await withSequence(async (seq) => {
      const out: Token[] = []
      for await (const t of seq.evaluate(lm.model.tokenize(' ab cd'), { temperature: 1, topK: 0, topP: 1, minP: 0, seed: 5 })) {
        out.push(t)
        if (out.length === 200) break
      }
      return out
    })
    const d = detectText(lm.model.detokenize(tokens), key)
    expect(d.scored).toBeGreaterThan(150)
    expect(d.pValue).toBeGreaterThan(1e-6)
  })

  it('streams: tokens arrive one by one, identical to the whole completion, and breaking stops generation', async () => {
    const key = keyFor('gumbel', lm.vocabSize)
    const wm = createWatermarker(key)
    const prompt = lm.model.tokenize(' st')
    // The first tokens' windows reach before the prompt and are drawn unwatermarked: seed that draw.
    const whole = await withSequence((seq) => generateWatermarked(seq, wm, prompt, { maxTokens: 60, random: seededRandom(3) }))
    const streamed = await withSequence(async (seq) => {
      const out: Token[] = []
      for await (const t of watermarkedTokens(seq, wm, prompt, { maxTokens: 60, random: seededRandom(3) })) {
        out.push(t)
        if (out.length === 25) break
      }
      // The sequence holds the prompt and the tokens evaluated so far, not 60.
      expect(seq.contextTokens.length).toBeLessThan(prompt.length + 26)
      return out
    })
    // Gumbel sampling is otherwise a deterministic function of the key and the distribution.
    expect(streamed).toEqual(whole.tokens.slice(0, 25))
  })

  it("refuses a key whose vocabulary is not the model's, naming both sizes", async () => {
    const wm = createWatermarker(keyFor('gumbel', lm.vocabSize + 3))
    await expect(
      withSequence((seq) => generateWatermarked(seq, wm, lm.model.tokenize(' ab'), { maxTokens: 2 })),
    ).rejects.toThrow(new RegExp(`${lm.vocabSize}.*${lm.vocabSize + 3}`))
  })
})
