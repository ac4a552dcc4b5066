/**
 * A minimal client for OpenAI-compatible text generation endpoints
 * (`/v1/completions`, `/v1/chat/completions`): what the probe and the lab's
 * distiller need, over the platform `fetch`. Errors name the endpoint, the
 * status and the server's message, never the API key.
 */

export interface EndpointOptions {
  /** Base URL, with or without the trailing `/v1` (e.g. `http://127.0.0.1:8000`). */
  endpoint: string
  /** Sent as `Authorization: Bearer <apiKey>`. */
  apiKey?: string
  /** Use `/v1/chat/completions` (one user message) instead of `/v1/completions`. */
  chat?: boolean
  /** Model name to request; default: the first one `/v1/models` lists. */
  model?: string
  /** Per-request timeout in ms (default 120 000). */
  timeoutMs?: number
  /** Attempts per request on network errors, 429 and 5xx (default 4, exponential backoff). */
  attempts?: number
}

export interface CompletionRequest {
  prompt: string
  maxTokens: number
  temperature?: number
  seed?: number
}

export interface Completion {
  text: string
  /** The server's `usage.completion_tokens`, when it reports one. */
  completionTokens?: number
  finishReason?: string
}

/** `http://h:p`, `http://h:p/`, `http://h:p/v1` → `http://h:p/v1`. */
export function apiBase(endpoint: string): string {
  let url: URL
  try {
    url = new URL(endpoint)
  } catch {
    throw new Error(`endpoint "${endpoint}" is not a URL (e.g. http://127.0.0.1:8000)`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`endpoint ${url.origin}: only http and https are supported`)
  const path = url.pathname.replace(/\/+$/, '')
  return `${url.origin}${path.endsWith('/v1') ? path : `${path}/v1`}`
}

class RetryableError extends Error {}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function call(base: string, path: string, o: EndpointOptions, body?: unknown): Promise<unknown> {
  const headers: Record<string, string> = { accept: 'application/json' }
  if (o.apiKey) headers.authorization = `Bearer ${o.apiKey}`
  if (body !== undefined) headers['content-type'] = 'application/json'
  const attempts = Math.max(1, o.attempts ?? 4)
  for (let attempt = 1; ; attempt++) {
    try {
      let res: Response
      try {
        res = await fetch(`${base}${path}`, {
          method: body === undefined ? 'GET' : 'POST',
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(o.timeoutMs ?? 120_000),
        })
      } catch (e) {
        const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).name
        throw new RetryableError(`${base}${path}: request failed (${cause})`)
      }
      const text = await res.text()
      if (!res.ok) {
        let message = text.slice(0, 200)
        try {
          message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? message
        } catch {
          // not JSON: keep the raw start of the body
        }
        const err = `${base}${path}: HTTP ${res.status}: ${message}`
        if (res.status === 429 || res.status >= 500) throw new RetryableError(err)
        throw new Error(err)
      }
      try {
        return JSON.parse(text)
      } catch {
        throw new Error(`${base}${path}: the response is not JSON`)
      }
    } catch (e) {
      if (!(e instanceof RetryableError) || attempt >= attempts) throw e instanceof RetryableError ? new Error(e.message) : e
      await sleep(250 * 2 ** (attempt - 1))
    }
  }
}

/** The first model the endpoint lists, or undefined when it lists none. */
async function firstModel(base: string, o: EndpointOptions): Promise<string | undefined> {
  try {
    const list = (await call(base, '/models', o)) as { data?: Array<{ id?: unknown }> }
    const id = list.data?.[0]?.id
    return typeof id === 'string' ? id : undefined
  } catch {
    return undefined // some servers have no /models: send no model name
  }
}

/**
 * A function that sends one completion request. The model name is resolved once,
 * on the first call.
 */
export function endpointClient(o: EndpointOptions): (r: CompletionRequest) => Promise<Completion> {
  const base = apiBase(o.endpoint)
  let model: Promise<string | undefined> | undefined
  return async (r) => {
    model ??= o.model !== undefined ? Promise.resolve(o.model) : firstModel(base, o)
    const name = await model
    const common = { ...(name === undefined ? {} : { model: name }), max_tokens: r.maxTokens, temperature: r.temperature ?? 1, ...(r.seed === undefined ? {} : { seed: r.seed }) }
    const path = o.chat ? '/chat/completions' : '/completions'
    const body = o.chat ? { ...common, messages: [{ role: 'user', content: r.prompt }] } : { ...common, prompt: r.prompt }
    const res = (await call(base, path, o, body)) as {
      choices?: Array<{ text?: unknown; message?: { content?: unknown }; finish_reason?: unknown }>
      usage?: { completion_tokens?: unknown }
    }
    const choice = res.choices?.[0]
    const text = o.chat ? choice?.message?.content : choice?.text
    if (typeof text !== 'string') throw new Error(`${base}${path}: the response has no ${o.chat ? 'choices[0].message.content' : 'choices[0].text'}`)
    const n = res.usage?.completion_tokens
    return {
      text,
      completionTokens: typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : undefined,
      finishReason: typeof choice?.finish_reason === 'string' ? choice.finish_reason : undefined,
    }
  }
}
