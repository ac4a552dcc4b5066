/**
 * @tracemark/watermark/transformers — watermarked generation in transformers.js.
 *
 * `@huggingface/transformers` is an optional peer dependency: only this entry
 * imports it, the package's main entry stays browser-safe without it.
 * @packageDocumentation
 */
import { LogitsProcessor, LogitsProcessorList, type Tensor } from '@huggingface/transformers'
import type { SampleOptions } from '../sampling.js'
import type { Session, Watermarker } from '../session.js'

/** Options of {@link watermarkLogitsProcessor}. */
export interface TransformersWatermarkOptions {
  /**
   * The account to fingerprint (keys with a fingerprint): one number for every
   * sequence of the batch, or one per sequence.
   */
  payload?: number | readonly number[]
  /** Uniform [0, 1) source for schemes that draw (kgw, unigram, synthid); default `Math.random`. */
  random?: () => number
}

/** What the processor needs of a transformers.js causal LM: its resolved generation config. */
export interface GenerationModel {
  _prepare_generation_config(generation_config: unknown, kwargs: unknown): GenerationSettings
}

/** The generation settings the processor reads (transformers.js `GenerationConfig`). */
export interface GenerationSettings {
  do_sample: boolean
  temperature: number
  top_k: number
  top_p: number
  num_beams: number
}

/**
 * A logits processor list that watermarks `model.generate`. Pass it the same
 * options you pass `generate`, and a new one per call:
 *
 * @example
 * const gen = { max_new_tokens: 200, do_sample: true, temperature: 0.8, top_k: 50 }
 * const out = await model.generate({
 *   ...inputs, ...gen,
 *   logits_processor: watermarkLogitsProcessor(wm, model, gen),
 * })
 *
 * Each sequence of the batch gets its own tracemark session (its prompt row is the
 * session's prompt). At every step the session chooses the token from the
 * runtime's distribution — the logits after transformers.js's own processors,
 * temperature included — with the same truncation the runtime's sampler applies
 * (`top_k`), and `top_p` as Hugging Face defines it (transformers.js 4.x's own
 * sampler ignores `top_p`; under the watermark it is honoured). Greedy decoding
 * (`do_sample: false`) chooses the argmax, which only the green-list schemes
 * (kgw, unigram) can move. Every other logit is then set to -Infinity, so the
 * runtime's sampler, greedy or multinomial, emits exactly that token.
 *
 * Put no processor after this one: the next step checks that the runtime emitted
 * the chosen token and throws otherwise. Beam search is refused.
 */
export function watermarkLogitsProcessor(
  watermarker: Watermarker,
  model: GenerationModel,
  generateOptions: Record<string, unknown> = {},
  options: TransformersWatermarkOptions = {},
): LogitsProcessorList {
  if (typeof model?._prepare_generation_config !== 'function') {
    throw new TypeError('watermarkLogitsProcessor: model is not a transformers.js generation model (no _prepare_generation_config)')
  }
  // The config generate() itself will resolve: model config, generation_config.json, then the call's options.
  const cfg = model._prepare_generation_config(generateOptions.generation_config ?? null, generateOptions)
  if (cfg.num_beams > 1) throw new Error(`watermarkLogitsProcessor: beam search (num_beams = ${cfg.num_beams}) is not supported`)
  const list = new LogitsProcessorList()
  list.push(new WatermarkProcessor(watermarker, sampleOptionsOf(cfg, options.random), options.payload))
  return list
}

/** The session's sampling options for a resolved generation config. */
function sampleOptionsOf(cfg: GenerationSettings, random?: () => number): SampleOptions {
  // generate() turns temperature 0 into greedy too.
  if (!cfg.do_sample || cfg.temperature === 0) return { temperature: 0 }
  // The runtime's TemperatureLogitsWarper has already divided the logits: sample them as they are.
  return { temperature: 1, topK: cfg.top_k > 0 ? cfg.top_k : 0, topP: cfg.top_p ?? 1, random }
}

class WatermarkProcessor extends LogitsProcessor {
  private sessions: Session[] = []
  private chosen = new Int32Array(0)

  constructor(
    private readonly wm: Watermarker,
    private readonly sampling: SampleOptions,
    private readonly payload: number | readonly number[] | undefined,
  ) {
    super()
  }

  override _call(inputIds: bigint[][], logits: Tensor): Tensor {
    const V = this.wm.spec.vocabSize
    const width = logits.dims.at(-1)
    if (width !== V) {
      throw new RangeError(`the model's logits have ${width} entries but the key's vocabulary size is ${V}: make the key with vocabSize ${width}`)
    }
    const data = logits.data
    if (!(data instanceof Float32Array)) throw new TypeError(`watermark processor: expected float32 logits, got ${logits.type}`)
    const rows = data.length / V
    if (rows !== inputIds.length) throw new Error(`watermark processor: ${rows} rows of logits for ${inputIds.length} sequences`)
    if (!this.continues(inputIds)) this.open(inputIds)
    for (let b = 0; b < rows; b++) {
      const row = data.subarray(b * V, (b + 1) * V)
      const token = this.sessions[b].sample(row, this.sampling)
      row.fill(-Infinity)
      row[token] = 0
      this.chosen[b] = token
    }
    return logits
  }

  /** True when every row is the previous step's row plus the token this processor chose. */
  private continues(inputIds: bigint[][]): boolean {
    if (this.sessions.length !== inputIds.length) return false
    for (let b = 0; b < inputIds.length; b++) {
      if (inputIds[b].length !== this.sessions[b].length) return false
    }
    for (let b = 0; b < inputIds.length; b++) {
      const last = Number(inputIds[b][inputIds[b].length - 1])
      if (last !== this.chosen[b]) {
        throw new Error(
          `watermark processor: sequence ${b} continued with token ${last} where the watermark chose ${this.chosen[b]}; ` +
            'put the watermark processor last and use a new one per generate() call',
        )
      }
    }
    return true
  }

  private open(inputIds: bigint[][]): void {
    const p = this.payload
    if (Array.isArray(p) && p.length !== inputIds.length) {
      throw new Error(`watermark processor: ${p.length} payloads for a batch of ${inputIds.length} sequences`)
    }
    this.sessions = inputIds.map((row, b) =>
      this.wm.session({ prompt: row.map(Number), payload: typeof p === 'number' ? p : p?.[b] }),
    )
    this.chosen = new Int32Array(inputIds.length).fill(-1)
  }
}
