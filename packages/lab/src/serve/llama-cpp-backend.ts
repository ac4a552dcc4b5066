import type { LlamaContext, LlamaContextSequence, Token } from 'node-llama-cpp'
import { watermarkedTokens } from '@tracemark/watermark/llama-cpp'
import type { FinishReason } from '../generate.js'
import type { LlamaCppModel } from '../runtimes/llama-model.js'
import { BusyError, type ServeBackend } from './backend.js'

/**
 * Serves a GGUF model through node-llama-cpp: one context with `slots` sequences,
 * one sequence per request (concurrent requests are batched by llama.cpp; a request
 * beyond `slots` gets HTTP 503). Watermarked requests go through the tracemark
 * adapter, plain ones through llama.cpp's own sampler.
 */
export function llamaCppBackend(lm: LlamaCppModel, context: LlamaContext, id: string): ServeBackend {
  const { model } = lm
  return {
    id,
    vocabSize: lm.vocabSize,
    tokenizerName: null,
    encode: (text) => model.tokenize(text),
    decode: (ids) => model.detokenize(ids as Token[]),
    async *generate(prompt, r): AsyncGenerator<number, FinishReason> {
      const ids = (prompt.length > 0 ? prompt : model.tokens.bos !== null ? [model.tokens.bos] : []) as Token[]
      if (ids.length === 0) throw new Error('empty prompt and the model has no BOS token')
      if (context.sequencesLeft === 0) throw new BusyError('no free sequence')
      const seq: LlamaContextSequence = context.getSequence()
      try {
        const s = r.sample
        const tokens = r.watermarker
          ? watermarkedTokens(seq, r.watermarker, ids, {
              maxTokens: r.maxTokens,
              temperature: s.temperature,
              topK: s.topK,
              topP: s.topP,
              payload: r.payload,
              random: s.random,
              signal: r.signal,
            })
          : seq.evaluate(ids, { temperature: s.temperature ?? 1, topK: s.topK ?? 0, topP: s.topP ?? 1, minP: 0 })
        let n = 0
        for await (const token of tokens) {
          if (model.isEogToken(token)) return 'stop'
          yield token
          if (++n >= r.maxTokens || r.signal.aborted) return 'length'
        }
        return 'length'
      } finally {
        seq.dispose()
      }
    },
  }
}
