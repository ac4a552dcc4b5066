import { existsSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import {
  AutoModelForCausalLM,
  AutoTokenizer,
  env,
  type PreTrainedModel,
  type PreTrainedTokenizer,
} from '@huggingface/transformers'

/** A transformers.js causal LM and its tokenizer, loaded from a local folder. */
export interface TransformersModel {
  model: PreTrainedModel
  tokenizer: PreTrainedTokenizer
  /** Length of the model's logits: the key's `vocabSize`. */
  vocabSize: number
}

/**
 * Loads a model folder in the Hugging Face layout (`config.json`, `tokenizer.json`,
 * `onnx/model.onnx`) with the ONNX Runtime backend, fp32. Remote loading is turned
 * off: nothing is ever fetched.
 */
export async function loadTransformersModel(dir: string): Promise<TransformersModel> {
  const abs = resolve(dir)
  for (const f of ['config.json', 'tokenizer.json', join('onnx', 'model.onnx')]) {
    if (!existsSync(join(abs, f))) throw new Error(`${abs}: no ${f} (expected a transformers.js model folder)`)
  }
  env.allowRemoteModels = false
  env.localModelPath = dirname(abs) + '/'
  const name = basename(abs)
  const tokenizer = await AutoTokenizer.from_pretrained(name)
  const model = await AutoModelForCausalLM.from_pretrained(name, { dtype: 'fp32', device: 'cpu' })
  const vocabSize = (model.config as { vocab_size?: number }).vocab_size
  if (!Number.isInteger(vocabSize)) throw new Error(`${join(abs, 'config.json')}: no integer vocab_size`)
  return { model, tokenizer, vocabSize: vocabSize! }
}
