/**
 * A minimal client for OpenAI-compatible text generation endpoints
 * (`/v1/completions`, `/v1/chat/completions`): what the probe and the lab's
 * distiller need, over the platform `fetch`. Errors name the endpoint, the
 * status and the server's message (control characters removed), never the API key.
 * Every response is bounded in time and size: a hostile endpoint can make a probe
 * fail, but not hang it or exhaust its memory.
 */
import { printable } from '../text/printable.js'

export interface EndpointOptions {
  /** Base URL, with or without the trailing `/v1` (e.g. `http://127.0.0.1:8000`). */
  endpoint: string
  /** Sent as `Authorization: Bearer <apiKey>`. */
  apiKey?: string
  /** Use `/v1/chat/completions` (one user message) instead of `/v1/completions`. */
  chat?: boolean
  /** Model name to request; default: the first one `/v1/models` lists. */
  model?: string
  /** Per-request timeout in ms, headers and body together (default {@link DEFAULT_TIMEOUT_MS}). A timeout is not retried. */
  timeoutMs?: number
  /** Attempts per request on connection errors, broken bodies, 429 and 5xx (default 4, exponential backoff). */
  attempts?: number
  /** Largest response body read, in bytes, whatever the server declares or streams (default {@link MAX_RESPONSE_BYTES}). */
  maxResponseBytes?: number
  /** Aborts requests in flight (e.g. on SIGINT). */
  signal?: AbortSignal
}

/**
 * Default per-request timeout. A hosted API answers 1024 tokens well within a minute,
 * but a single-threaded server (the lab's) shares its time among the requests in
 * flight: on a busy 2-core machine 4 interleaved 150-token answers took over 60 s.
 */
export const DEFAULT_TIMEOUT_MS = 120_000

/** Default cap on a response body: an answer is kilobytes; a `/models` list of hundreds of models is about 1 MB. */
export const MAX_RESPONSE_BYTES = 8 * 1024 * 1024

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

/** Parses an endpoint URL; errors never echo it whole (it may carry credentials). */
function endpointUrl(endpoint: string): URL {
  let url: URL
  try {
    url = new URL(endpoint)
  } catch {
    throw new Error('the endpoint is not a URL (e.g. http://127.0.0.1:8000)')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`endpoint ${printable(url.protocol)}//${printable(url.host)}: only http and https are supported`)
  return url
}

/** `http://h:p`, `http://h:p/`, `http://h:p/v1` → `http://h:p/v1`. User name, password, query and fragment are dropped. */
export function apiBase(endpoint: string): string {
  const url = endpointUrl(endpoint)
  const path = url.pathname.replace(/\/+$/, '')
  return `${url.origin}${path.endsWith('/v1') ? path : `${path}/v1`}`
}

/** The endpoint as it may be shown: origin and path, without credentials, query or fragment. */
export function displayEndpoint(endpoint: string): string {
  const url = endpointUrl(endpoint)
  return printable(`${url.origin}${url.pathname.replace(/\/+$/, '')}`)
}

/** Why a request failed; `status` errors (and unusable JSON) are the server answering, the rest are transport. */
type FailureKind = 'status' | 'format' | 'transport' | 'timeout' | 'too-large' | 'interrupted'

/** A failed request to the endpoint. The message names the URL and the cause, never the API key. */
export class EndpointError extends Error {
  constructor(
    message: string,
    readonly kind: FailureKind,
    readonly retryable = false,
  ) {
    super(message)
  }
}

/** Waits `ms`, or less if `signal` aborts. */
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(t)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const t = setTimeout(done, ms)
    signal?.addEventListener('abort', done, { once: true })
  })

/** A string code from an error or its cause (undici puts them on `cause`; some are not strings). */
function errorCode(e: unknown): string {
  const pick = (x: unknown) => (x && typeof x === 'object' && typeof (x as { code?: unknown }).code === 'string' ? (x as { code: string }).code : undefined)
  const name = e instanceof Error ? e.name : 'error'
  return printable(pick((e as { cause?: unknown })?.cause) ?? pick(e) ?? name, 60)
}

/** The body as text, reading at most `cap` bytes; a larger body is cancelled, not buffered. */
async function readBody(res: Response, cap: number, where: string): Promise<string> {
  const declared = Number(res.headers.get('content-length'))
  if (declared > cap) {
    await res.body?.cancel().catch(() => undefined)
    throw new EndpointError(`${where}: the response declares ${declared} bytes, over the ${cap}-byte cap`, 'too-large')
  }
  if (!res.body) return ''
  const reader = res.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > cap) {
      await reader.cancel().catch(() => undefined)
      throw new EndpointError(`${where}: the response is over the ${cap}-byte cap`, 'too-large')
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks).toString('utf8')
}

async function attempt(url: string, where: string, o: EndpointOptions, init: RequestInit): Promise<unknown> {
  const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const timeout = AbortSignal.timeout(timeoutMs)
  const signal = o.signal ? AbortSignal.any([timeout, o.signal]) : timeout
  // Any failure after the request started: classify by who aborted, else by cause.
  const failed = (e: unknown, what: string): EndpointError => {
    if (e instanceof EndpointError) return e
    if (o.signal?.aborted) return new EndpointError(`${where}: interrupted`, 'interrupted')
    if (timeout.aborted) return new EndpointError(`${where}: no complete answer within ${timeoutMs / 1000} s (--timeout)`, 'timeout')
    return new EndpointError(`${where}: ${what} (${errorCode(e)})`, 'transport', true)
  }
  let res: Response
  try {
    res = await fetch(url, { ...init, signal, redirect: 'error' })
  } catch (e) {
    throw failed(e, 'request failed')
  }
  let text: string
  try {
    text = await readBody(res, o.maxResponseBytes ?? MAX_RESPONSE_BYTES, where)
  } catch (e) {
    throw failed(e, `the response body broke off after HTTP ${res.status}`)
  }
  if (!res.ok) {
    let message = text.slice(0, 200)
    try {
      const m = (JSON.parse(text) as { error?: { message?: unknown } }).error?.message
      if (typeof m === 'string') message = m
    } catch {
      // not JSON: keep the raw start of the body
    }
    // The server's words reach the terminal only as printable text, and without our
    // API key: a server may quote the credential it rejects.
    if (o.apiKey && o.apiKey.length >= 4) message = message.split(o.apiKey).join('<api key>')
    throw new EndpointError(`${where}: HTTP ${res.status}: ${printable(message, 200)}`, 'status', res.status === 429 || res.status >= 500)
  }
  try {
    return JSON.parse(text)
  } catch {
    throw new EndpointError(`${where}: the response is not JSON`, 'format')
  }
}

async function call(base: string, path: string, o: EndpointOptions, body?: unknown): Promise<unknown> {
  const headers: Record<string, string> = { accept: 'application/json' }
  if (o.apiKey) headers.authorization = `Bearer ${o.apiKey}`
  if (body !== undefined) headers['content-type'] = 'application/json'
  const init: RequestInit = { method: body === undefined ? 'GET' : 'POST', headers, body: body === undefined ? undefined : JSON.stringify(body) }
  const where = printable(`${base}${path}`)
  const attempts = Math.max(1, o.attempts ?? 4)
  for (let n = 1; ; n++) {
    try {
      return await attempt(`${base}${path}`, where, o, init)
    } catch (e) {
      if (!(e instanceof EndpointError && e.retryable) || n >= attempts || o.signal?.aborted) throw e
      await sleep(250 * 2 ** (n - 1), o.signal)
    }
  }
}

/** The first model the endpoint lists, or undefined when it lists none. */
async function firstModel(base: string, o: EndpointOptions): Promise<string | undefined> {
  try {
    const list = (await call(base, '/models', o)) as { data?: Array<{ id?: unknown }> }
    const id = list?.data?.[0]?.id
    return typeof id === 'string' ? id : undefined
  } catch (e) {
    // Some servers have no /models (or list it oddly): send no model name. A dead,
    // slow or oversized endpoint is an error here already, not after a second wait.
    if (e instanceof EndpointError && (e.kind === 'status' || e.kind === 'format')) return undefined
    throw e
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
    const choice = res?.choices?.[0]
    const text = o.chat ? choice?.message?.content : choice?.text
    if (typeof text !== 'string') throw new EndpointError(`${printable(base + path)}: the response has no ${o.chat ? 'choices[0].message.content' : 'choices[0].text'}`, 'format')
    const n = res.usage?.completion_tokens
    return {
      text,
      completionTokens: typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : undefined,
      finishReason: typeof choice?.finish_reason === 'string' ? choice.finish_reason : undefined,
    }
  }
}
