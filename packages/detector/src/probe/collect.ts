import { endpointClient, type EndpointOptions } from './client.js'

export interface CollectOptions extends EndpointOptions {
  prompts: readonly string[]
  /** Tokens per answer (default 200). */
  maxTokens?: number
  /** Stop once the answers hold this many tokens (default 100 000). Prompts are reused, with new seeds, until then. */
  budget?: number
  /** Stop after this many answers (default: no limit besides the budget). */
  maxAnswers?: number
  /** Sampling temperature sent with every request (default 1). */
  temperature?: number
  /** Requests in flight at once (default 4). */
  concurrency?: number
  /** Request i carries seed `seed + i` (default 0), so a probe is reproducible on servers that honour seeds. */
  seed?: number
  /** Tokens of an answer when the server reports no usage (default: ~4 characters per token). */
  countTokens?: (text: string) => number
  onProgress?: (p: { answers: number; tokens: number }) => void
  signal?: AbortSignal
}

export interface Answer {
  prompt: string
  text: string
  tokens: number
}

/**
 * Queries an endpoint with the prompts, in turn, until the answers reach the
 * token budget: what a distiller does, and what a probe does to a suspect.
 * Answers come back in request order, whatever order they finished in.
 */
export async function collectAnswers(o: CollectOptions): Promise<Answer[]> {
  if (o.prompts.length === 0) throw new Error('no prompts to send')
  const maxTokens = o.maxTokens ?? 200
  const budget = o.budget ?? 100_000
  if (!(Number.isInteger(maxTokens) && maxTokens > 0)) throw new RangeError(`maxTokens must be a positive integer, got ${maxTokens}`)
  if (!(budget > 0)) throw new RangeError(`budget must be positive, got ${budget}`)
  const maxAnswers = o.maxAnswers ?? Infinity
  const count = o.countTokens ?? ((t: string) => Math.ceil(t.length / 4))
  const complete = endpointClient(o)
  const answers: Answer[] = []
  let tokens = 0
  let next = 0
  let empty = 0
  let done = 0
  let failed = false
  const worker = async () => {
    while (tokens < budget && next < maxAnswers && !failed && !o.signal?.aborted) {
      const i = next++
      const prompt = o.prompts[i % o.prompts.length]
      const c = await complete({ prompt, maxTokens, temperature: o.temperature, seed: (o.seed ?? 0) + i }).catch((e: unknown) => {
        failed = true // the other workers stop sending
        throw e
      })
      const n = c.completionTokens ?? count(c.text)
      // An endpoint that only ever answers with nothing would loop forever.
      if (n === 0 && ++empty > 100 + 10 * answers.length) throw new Error('the endpoint keeps returning empty answers')
      answers[i] = { prompt, text: c.text, tokens: n }
      tokens += n
      o.onProgress?.({ answers: ++done, tokens })
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, o.concurrency ?? 4) }, worker))
  return answers.filter(Boolean)
}
