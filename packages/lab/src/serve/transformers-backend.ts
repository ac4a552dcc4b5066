import { BaseStreamer, StoppingCriteria, Tensor, type TextStreamer } from '@huggingface/transformers'
import { watermarkLogitsProcessor } from '@tracemark/watermark/transformers'
import type { FinishReason } from '../generate.js'
import type { TransformersModel } from '../runtimes/transformers-model.js'
import type { ServeBackend } from './backend.js'

/**
 * Serves a transformers.js causal LM: each request is one `model.generate` call,
 * watermarked by the tracemark logits processor, its tokens streamed out as the
 * runtime produces them. `top_k` defaults to 0 (the full vocabulary), as for the
 * n-gram server, rather than transformers.js's 50.
 */
export function transformersBackend(tm: TransformersModel, id: string): ServeBackend {
  const eos = new Set<number>([(tm.model.generation_config as { eos_token_id?: number | number[] } | null)?.eos_token_id ?? []].flat())
  const bos = (tm.model.config as { bos_token_id?: number }).bos_token_id
  return {
    id,
    vocabSize: tm.vocabSize,
    tokenizerName: null,
    encode: (text) => tm.tokenizer.encode(text, { add_special_tokens: false }),
    decode: (ids) => tm.tokenizer.decode(ids, { skip_special_tokens: true }),
    async *generate(prompt, r): AsyncGenerator<number, FinishReason> {
      // A decoder needs one token to predict from: an empty prompt starts at BOS.
      const ids = prompt.length > 0 ? prompt : bos !== undefined ? [bos] : []
      if (ids.length === 0) throw new Error('empty prompt and the model has no bos_token_id')
      const t = r.sample.temperature ?? 1
      const gen = { max_new_tokens: r.maxTokens, do_sample: t > 0, temperature: t > 0 ? t : 1, top_k: r.sample.topK ?? 0, top_p: r.sample.topP ?? 1 }
      const queue: number[] = []
      let wake: (() => void) | null = null
      let finished = false
      let failure: unknown = null
      const notify = () => {
        wake?.()
        wake = null
      }
      let promptSeen = false
      // generate() only calls put() and end(); its typing asks for a TextStreamer.
      const streamer = Object.assign(new BaseStreamer(), {
        put(value: bigint[][]) {
          // generate() first puts the prompt, then one token per step.
          if (!promptSeen) promptSeen = true
          else queue.push(Number(value[0][0]))
          notify()
        },
        end() {},
      }) as unknown as TextStreamer
      const stop = Object.assign(new StoppingCriteria(), { _call: (rows: number[][]) => rows.map(() => r.signal.aborted) })
      const inputs = {
        input_ids: new Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]),
        attention_mask: new Tensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]),
      }
      const run = tm.model
        .generate({
          ...inputs,
          ...gen,
          streamer,
          stopping_criteria: [stop],
          ...(r.watermarker ? { logits_processor: watermarkLogitsProcessor(r.watermarker, tm.model, gen, { payload: r.payload, random: r.sample.random }) } : {}),
        })
        .catch((e: unknown) => (failure = e))
        .finally(() => {
          finished = true
          notify()
        })
      try {
        for (;;) {
          while (queue.length > 0) {
            const token = queue.shift()!
            if (eos.has(token)) return 'stop'
            yield token
          }
          if (finished) {
            if (failure) throw failure
            return 'length'
          }
          await new Promise<void>((resolve) => (wake = resolve))
        }
      } finally {
        await run
      }
    },
  }
}
