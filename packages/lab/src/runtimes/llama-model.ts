import { existsSync, readdirSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { getLlama, LlamaLogLevel, type Llama, type LlamaModel } from 'node-llama-cpp'

/** A GGUF model loaded by node-llama-cpp on the CPU. */
export interface LlamaCppModel {
  llama: Llama
  model: LlamaModel
  /** Length of the model's logits (its token count): the key's `vocabSize`. */
  vocabSize: number
}

/**
 * Loads a GGUF file (or the only `.gguf` in a folder) with node-llama-cpp's prebuilt
 * CPU binary: it never builds from source and never downloads.
 */
export async function loadLlamaCppModel(path: string): Promise<LlamaCppModel> {
  const file = ggufPath(resolve(path))
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error })
  const model = await llama.loadModel({ modelPath: file })
  const tokens = model.fileInfo.metadata?.tokenizer?.ggml?.tokens
  if (!tokens) throw new Error(`${file}: no tokenizer.ggml.tokens in the GGUF metadata`)
  return { llama, model, vocabSize: tokens.length }
}

function ggufPath(path: string): string {
  if (!existsSync(path)) throw new Error(`${path}: no such file or folder`)
  if (!statSync(path).isDirectory()) return path
  const found = readdirSync(path).filter((f) => f.endsWith('.gguf'))
  if (found.length !== 1) throw new Error(`${path}: expected one .gguf file in the folder, found ${found.length}`)
  return join(path, found[0])
}
