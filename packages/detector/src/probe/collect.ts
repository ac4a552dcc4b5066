import { endpointClient, type Completion, type EndpointOptions } from './client.js'

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
  /** Tokens of an answer; when given, preferred to the server's own `usage` figure (default: the server's figure, else ~4 characters per token). */
  countTokens?: (text: string) => number
  onProgress?: (p: { answers: number; tokens: number }) => void
}

export interface Answer {
  prompt: string
  text: string
  tokens: number
}

/** Empty answers tolerated: this many, plus this many per non-empty answer. */
const EMPTY_GRACE = 100
const EMPTY_PER_ANSWER = 10

/** Thrown when `signal` stopped the collection: answers so far are discarded. */
export class CollectionInterrupted extends Error {
  constructor(readonly answers: number) {
    super(`interrupted after ${answers} answers`)
  }
}

/**
 * Queries an endpoint with the prompts, in turn, until the answers reach the
 * token budget: what a distiller does, and what a probe does to a suspect.
 * Answers come back in request order, whatever order they finished in.
 * The first failed request stops the others (in flight ones are aborted) and is
 * thrown; an endpoint that keeps answering with nothing is a failure too, after
 * {@link EMPTY_GRACE} + {@link EMPTY_PER_ANSWER} × (non-empty answers) empty ones,
 * a count that only useful answers raise, so the loop ends whatever the endpoint does.
 */
export async function collectAnswers(o: CollectOptions): Promise<Answer[]> {
  if (o.prompts.length === 0) throw new Error('no prompts to send')
  const maxTokens = o.maxTokens ?? 200
  const budget = o.budget ?? 100_000
  if (!(Number.isInteger(maxTokens) && maxTokens > 0)) throw new RangeError(`maxTokens must be a positive integer, got ${maxTokens}`)
  const maxAnswers = o.maxAnswers ?? Infinity
  // Something must end the loop: a finite token budget, or a finite number of answers (a walk's round).
  if (!(budget > 0 && (budget < Infinity || maxAnswers < Infinity))) throw new RangeError(`budget must be a positive number, got ${budget}`)
  const concurrency = o.concurrency ?? 4
  if (!(Number.isInteger(concurrency) && concurrency > 0)) throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`)
  const count = o.countTokens ?? ((t: string) => Math.ceil(t.length / 4))
  const stop = new AbortController()
  const onAbort = () => stop.abort()
  o.signal?.addEventListener('abort', onAbort, { once: true })
  if (o.signal?.aborted) stop.abort()
  const complete = endpointClient({ ...o, signal: stop.signal })
  const answers: Answer[] = []
  let tokens = 0
  let next = 0
  let empty = 0
  let done = 0
  let failure: { error: unknown } | undefined
  const fail = (error: unknown) => {
    failure ??= { error }
    stop.abort() // the other workers stop sending, and their requests in flight end now
  }
  const worker = async () => {
    while (tokens < budget && next < maxAnswers && !stop.signal.aborted) {
      const i = next++
      const prompt = o.prompts[i % o.prompts.length]
      let c: Completion
      try {
        c = await complete({ prompt, maxTokens, temperature: o.temperature, seed: (o.seed ?? 0) + i })
      } catch (e) {
        return fail(e)
      }
      // Our own count when we have one: a server's usage figure is only a claim.
      const n = o.countTokens ? count(c.text) : (c.completionTokens ?? count(c.text))
      if (n === 0) {
        if (++empty > EMPTY_GRACE + EMPTY_PER_ANSWER * done) {
          return fail(new Error(`the endpoint keeps returning empty answers (${empty} of ${empty + done})`))
        }
        continue
      }
      answers[i] = { prompt, text: c.text, tokens: n }
      tokens += n
      done++ // not inside the optional call below: without onProgress it would never run
      o.onProgress?.({ answers: done, tokens })
    }
  }
  try {
    await Promise.all(Array.from({ length: concurrency }, worker))
  } finally {
    o.signal?.removeEventListener('abort', onAbort)
  }
  if (o.signal?.aborted) throw new CollectionInterrupted(done)
  if (failure) throw failure.error
  return answers.filter(Boolean)
}
