import { TextStreamer } from '@huggingface/transformers'
import { detect } from '@tracemark/detector'
import { createWatermarker, generateKey, type WatermarkKey } from '@tracemark/watermark'
import { watermarkLogitsProcessor } from '@tracemark/watermark/transformers'
import { beforeAll, describe, expect, it } from 'vitest'
import { runtimeUnavailable } from '../src/runtimes/availability.js'
import { modelCacheDir } from '../src/runtimes/model-cache.js'
import { buildTinyOnnxModel } from '../src/runtimes/tiny-onnx.js'
import { loadTransformersModel, type TransformersModel } from '../src/runtimes/transformers-model.js'

// A real transformers.js + onnxruntime-node pipeline on a tiny random-weight decoder
// built by the test (near-uniform logits over 8,677 ids, entropy ≈ 8.0 nats at
// temperature 1). Detection is from text: decode the completion, re-encode it with
// the same tokenizer.json through transformers.js, score the ids.
// The detector loading a tokenizer.json itself (detect(text, key, { tokenizer })) is
// tested on real Llama 3 / Qwen 3 / DeepSeek V3 / Gemma 3 / Llama 2 files in test/hf-tokenizer-*.test.ts.

let tm: TransformersModel
const secret = Uint8Array.from({ length: 32 }, (_, i) => 7 * i + 1)
const keyFor = (scheme: 'gumbel' | 'kgw' | 'synthid', vocabSize: number): WatermarkKey =>
  generateKey({ scheme, tokenizer: 'tiny-bpe', vocabSize }, { secret })

const unavailable = runtimeUnavailable('transformers')
if (unavailable) console.warn(`skipping the transformers tests: ${unavailable}`)

beforeAll(async () => {
  if (unavailable) return
  tm = await loadTransformersModel(buildTinyOnnxModel(modelCacheDir()))
})

/** Generated ids of each row (prompt removed), as numbers. */
function completions(out: unknown, promptLength: number): number[][] {
  return (out as { tolist(): bigint[][] }).tolist().map((row) => row.slice(promptLength).map(Number))
}

/** The detector's verdict on the text of `ids`, re-tokenized. */
function detectText(ids: number[], key: WatermarkKey) {
  const text = tm.tokenizer.decode(ids, { skip_special_tokens: true })
  const reencoded = tm.tokenizer.encode(text, { add_special_tokens: false })
  return detect(reencoded, key)
}

// Bounds: detect() returns the exact p-value of the score under the null (text
// independent of the key), so unwatermarked text falls below alpha = 1e-6 with
// probability 1e-6. Watermarked gumbel text at ~8 nats of entropy scores ~ln(1/p)
// per token over 200 tokens; the test asserts the requirement p < 1e-6.
describe.skipIf(unavailable !== null)('transformers.js logits processor', () => {
  it('watermarks a sampled batch of two; each sequence is detected from its text', async () => {
    const key = keyFor('gumbel', tm.vocabSize)
    const wm = createWatermarker(key)
    const inputs = tm.tokenizer([' ab cd', ' kil mo pra'], { padding: true })
    const gen = { max_new_tokens: 200, do_sample: true, top_k: 0 }
    const out = await tm.model.generate({ ...inputs, ...gen, logits_processor: watermarkLogitsProcessor(wm, tm.model, gen) })
    const rows = completions(out, inputs.input_ids.dims[1])
    expect(rows).toHaveLength(2)
    expect(rows[0]).not.toEqual(rows[1])
    for (const ids of rows) {
      const r = detectText(ids, key)
      expect(r.scored).toBeGreaterThan(150)
      expect(r.pValue).toBeLessThan(1e-6)
    }
  })

  it('honours temperature, top-k and top-p and is still detected', async () => {
    const key = keyFor('gumbel', tm.vocabSize)
    const wm = createWatermarker(key)
    const inputs = tm.tokenizer(' hel lo')
    const gen = { max_new_tokens: 200, do_sample: true, temperature: 0.7, top_k: 40, top_p: 0.9 }
    const out = await tm.model.generate({ ...inputs, ...gen, logits_processor: watermarkLogitsProcessor(wm, tm.model, gen) })
    const [ids] = completions(out, inputs.input_ids.dims[1])
    expect(detectText(ids, key).pValue).toBeLessThan(1e-6)
  })

  it('watermarks greedy decoding with a green-list key (kgw moves the argmax)', async () => {
    const key = keyFor('kgw', tm.vocabSize)
    const wm = createWatermarker(key)
    const inputs = tm.tokenizer(' go')
    const gen = { max_new_tokens: 200, do_sample: false }
    const out = await tm.model.generate({ ...inputs, ...gen, logits_processor: watermarkLogitsProcessor(wm, tm.model, gen) })
    const plain = await tm.model.generate({ ...inputs, ...gen })
    const [ids] = completions(out, inputs.input_ids.dims[1])
    const [plainIds] = completions(plain, inputs.input_ids.dims[1])
    expect(ids).not.toEqual(plainIds)
    expect(detectText(ids, key).pValue).toBeLessThan(1e-6)
    expect(detectText(plainIds, key).pValue).toBeGreaterThan(1e-6)
  })

  it('does not detect the same model sampled without the processor', async () => {
    const key = keyFor('gumbel', tm.vocabSize)
    const inputs = tm.tokenizer([' ab cd', ' kil mo pra'], { padding: true })
    const out = await tm.model.generate({ ...inputs, max_new_tokens: 200, do_sample: true, top_k: 0 })
    for (const ids of completions(out, inputs.input_ids.dims[1])) {
      const r = detectText(ids, key)
      expect(r.scored).toBeGreaterThan(150)
      expect(r.pValue).toBeGreaterThan(1e-6)
    }
  })

  it('streams: the streamer sees the watermarked text', async () => {
    const key = keyFor('synthid', tm.vocabSize)
    const wm = createWatermarker(key)
    const inputs = tm.tokenizer(' st')
    let streamed = ''
    const streamer = new TextStreamer(tm.tokenizer, {
      skip_prompt: true,
      skip_special_tokens: true,
      callback_function: (t: string) => (streamed += t),
    })
    const gen = { max_new_tokens: 200, do_sample: true, top_k: 0 }
    const out = await tm.model.generate({ ...inputs, ...gen, streamer, logits_processor: watermarkLogitsProcessor(wm, tm.model, gen) })
    const [ids] = completions(out, inputs.input_ids.dims[1])
    expect(streamed).toBe(tm.tokenizer.decode(ids, { skip_special_tokens: true }))
    const re = tm.tokenizer.encode(streamed, { add_special_tokens: false })
    expect(detect(re, key).pValue).toBeLessThan(1e-6)
  })

  it('refuses a key whose vocabulary is not the model’s, naming both sizes', async () => {
    const wm = createWatermarker(keyFor('gumbel', tm.vocabSize + 3))
    const inputs = tm.tokenizer(' ab')
    const gen = { max_new_tokens: 2, do_sample: true }
    await expect(
      tm.model.generate({ ...inputs, ...gen, logits_processor: watermarkLogitsProcessor(wm, tm.model, gen) }),
    ).rejects.toThrow(new RegExp(`${tm.vocabSize}.*${tm.vocabSize + 3}`))
  })

  it("fingerprints each sequence of a batch with its own account, or a drawn one", async () => {
    const key = generateKey({ scheme: 'gumbel', tokenizer: 'tiny-bpe', vocabSize: tm.vocabSize, fingerprint: {} }, { secret })
    const wm = createWatermarker(key)
    const inputs = tm.tokenizer([' ab cd', ' kil mo pra'], { padding: true })
    const gen = { max_new_tokens: 200, do_sample: true, top_k: 0 }
    // Without payloads each sequence's session draws its own: the text is watermarked all the same.
    const drawn = await tm.model.generate({ ...inputs, ...gen, logits_processor: watermarkLogitsProcessor(wm, tm.model, gen) })
    for (const ids of completions(drawn, inputs.input_ids.dims[1])) expect(detectText(ids, key).pValue).toBeLessThan(1e-6)
    const out = await tm.model.generate({
      ...inputs,
      ...gen,
      logits_processor: watermarkLogitsProcessor(wm, tm.model, gen, { payload: [1001, 2002] }),
    })
    for (const ids of completions(out, inputs.input_ids.dims[1])) expect(detectText(ids, key).pValue).toBeLessThan(1e-6)
  })

  it('refuses beam search', () => {
    const wm = createWatermarker(keyFor('gumbel', tm.vocabSize))
    expect(() => watermarkLogitsProcessor(wm, tm.model, { num_beams: 2 })).toThrow(/beam search/)
  })
})
