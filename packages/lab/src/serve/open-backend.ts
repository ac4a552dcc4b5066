import { basename, resolve } from 'node:path'
import type { ServeBackend } from './backend.js'

/** The model runtimes `lab serve --runtime` accepts besides the n-gram model. */
export const RUNTIMES = ['transformers', 'llama-cpp'] as const
export type Runtime = (typeof RUNTIMES)[number]

export interface RuntimeOptions {
  /** llama-cpp: concurrent requests (sequences of the context). Default 4. */
  slots?: number
  /** llama-cpp: CPU threads; 0 lets llama.cpp choose. Default 0. */
  threads?: number
  /** llama-cpp: context size per sequence. Default 2048. */
  contextSize?: number
}

/**
 * Loads `dir` with a runtime and returns the server backend and a closer. The
 * runtime libraries are imported here, on demand: the n-gram server never loads them.
 */
export async function openRuntimeBackend(
  runtime: Runtime,
  dir: string,
  o: RuntimeOptions = {},
): Promise<{ backend: ServeBackend; close(): Promise<void> }> {
  const id = `${runtime}:${basename(resolve(dir))}`
  if (runtime === 'transformers') {
    const [{ loadTransformersModel }, { transformersBackend }] = await Promise.all([
      import('../runtimes/transformers-model.js'),
      import('./transformers-backend.js'),
    ])
    const tm = await loadTransformersModel(dir)
    return { backend: transformersBackend(tm, id), close: () => tm.model.dispose().then(() => undefined) }
  }
  if (runtime === 'llama-cpp') {
    const [{ loadLlamaCppModel }, { llamaCppBackend }] = await Promise.all([
      import('../runtimes/llama-model.js'),
      import('./llama-cpp-backend.js'),
    ])
    const lm = await loadLlamaCppModel(dir)
    const slots = o.slots ?? 4
    const context = await lm.model.createContext({
      sequences: slots,
      contextSize: o.contextSize ?? 2048, // per sequence
      ...(o.threads ? { threads: o.threads } : {}),
    })
    return {
      backend: llamaCppBackend(lm, context, id),
      close: async () => {
        await context.dispose()
        await lm.model.dispose()
      },
    }
  }
  throw new Error(`unknown runtime "${String(runtime)}" (expected ngram, ${RUNTIMES.join(', ')})`)
}
