/**
 * Reference integration of @tracemark/watermark in a serving stack: an OpenAI-compatible
 * HTTP server (node:http, no framework) over the lab's reference n-gram model, or a
 * real model run by transformers.js or node-llama-cpp (see ./backend.ts).
 *
 *   POST /v1/completions        {prompt, max_tokens?, temperature?, top_p?, top_k?, seed?, stream?}
 *   POST /v1/chat/completions   {messages, max_tokens?, temperature?, top_p?, top_k?, seed?, stream?}
 *   GET  /v1/models
 *
 * Every response is watermarked with the server's key; when the key carries a fingerprint,
 * the account of the caller's API key (`Authorization: Bearer <api key>`) is the payload,
 * so leaked text can be attributed to the account that generated it.
 *
 * Never log or echo the watermark key or API keys: errors name fields, not values.
 */
import { randomBytes } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { createWatermarker, gumbelNonces, seededRandom, type Watermarker, type WatermarkKey } from '@tracemark/watermark'
import type { NgramModel } from '../model/ngram.js'
import type { FinishReason } from '../generate.js'
import { checkAccounts } from './accounts.js'
import { BusyError, NGRAM_MODEL_ID, ngramBackend, type ServeBackend } from './backend.js'
import { textStream } from './generate.js'

export const MODEL_ID = NGRAM_MODEL_ID
const BODY_LIMIT = 1 << 20 // 1 MB
/** OpenAI's default for /v1/completions; chat defaults to min(256, maxTokensLimit). */
const DEFAULT_MAX_TOKENS = { completion: 16, chat: 256 }

export interface ServerOptions {
  /** The reference n-gram model (when no `backend` is given). */
  model?: NgramModel
  /** A model runtime to serve instead (transformers.js, node-llama-cpp). */
  backend?: ServeBackend
  /** Omitted (or `watermark: false`): serves unwatermarked text. */
  key?: WatermarkKey
  watermark?: boolean
  /** API key → account number (the fingerprint payload). */
  accounts: Record<string, number>
  /** Upper bound of max_tokens (default 1024). */
  maxTokensLimit?: number
  /** top_k for requests that send none (the host's sampling config; default: the full vocabulary). */
  topK?: number
}

/** A 4xx/5xx answer in OpenAI's error format. */
class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type = 'invalid_request_error',
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message)
  }
}

const bad = (param: string, message: string) => new ApiError(400, `${param}: ${message}`, 'invalid_request_error', param)

interface Request {
  chat: boolean
  prompt: string
  maxTokens: number
  temperature: number
  topP?: number
  topK?: number
  seed?: number
  stream: boolean
  /** Choices to generate (each its own sampler draws and, for gumbel keys with nonces, its own nonce). */
  n: number
}

const MAX_CHOICES = 16

/** Validates a request body; every error names its field. */
function parseRequest(body: Record<string, unknown>, chat: boolean, maxTokensLimit: number): Request {
  const optNumber = (field: string, ok: (x: number) => boolean, range: string): number | undefined => {
    const x = body[field]
    if (x === undefined || x === null) return undefined
    if (typeof x !== 'number' || !ok(x)) throw bad(field, `must be ${range}`)
    return x
  }
  if (body.model !== undefined && typeof body.model !== 'string') throw bad('model', 'must be a string')
  const n = optNumber('n', (x) => Number.isInteger(x) && x >= 1 && x <= MAX_CHOICES, `an integer in 1..${MAX_CHOICES}`) ?? 1
  if (n > 1 && body.stream === true) throw bad('n', 'n > 1 is not supported with stream: true')
  if (body.stop !== undefined && body.stop !== null) throw bad('stop', 'stop sequences are not supported')
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') throw bad('stream', 'must be a boolean')

  let prompt: string
  if (chat) {
    // The n-gram model has no chat template: its prompt is the messages' contents, one per
    // line, followed by a newline (where the answer starts). Roles are not rendered.
    const messages = body.messages
    if (!Array.isArray(messages) || messages.length === 0) throw bad('messages', 'must be a non-empty array')
    prompt = messages
      .map((m: unknown, i) => {
        const msg = m as { role?: unknown; content?: unknown } | null
        if (typeof msg !== 'object' || msg === null) throw bad(`messages[${i}]`, 'must be an object')
        if (!['system', 'developer', 'user', 'assistant'].includes(msg.role as string)) {
          throw bad(`messages[${i}].role`, 'must be system, developer, user or assistant')
        }
        if (typeof msg.content !== 'string') throw bad(`messages[${i}].content`, 'must be a string')
        return msg.content
      })
      .join('\n') + '\n'
  } else {
    if (typeof body.prompt !== 'string') throw bad('prompt', 'must be a string')
    prompt = body.prompt
  }
  const intIn = (lo: number, hi: number) => (x: number) => Number.isInteger(x) && x >= lo && x <= hi
  return {
    chat,
    prompt,
    maxTokens:
      optNumber('max_tokens', intIn(1, maxTokensLimit), `an integer in [1, ${maxTokensLimit}]`) ??
      Math.min(chat ? DEFAULT_MAX_TOKENS.chat : DEFAULT_MAX_TOKENS.completion, maxTokensLimit),
    temperature: optNumber('temperature', (x) => x >= 0 && x <= 2, 'a number in [0, 2]') ?? 1,
    topP: optNumber('top_p', (x) => x > 0 && x <= 1, 'a number in (0, 1]'),
    topK: optNumber('top_k', intIn(0, 1e6), 'a non-negative integer'),
    seed: optNumber('seed', Number.isSafeInteger, 'an integer'),
    stream: body.stream === true,
    n,
  }
}

/** Reads the body (at most BODY_LIMIT bytes) and parses it as a JSON object. */
async function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  if (Number(req.headers['content-length'] ?? 0) > BODY_LIMIT) throw new ApiError(413, 'request body exceeds 1 MB')
  const utf8 = new TextDecoder()
  let text = ''
  let size = 0
  for await (const chunk of req as AsyncIterable<Uint8Array>) {
    size += chunk.length
    if (size > BODY_LIMIT) throw new ApiError(413, 'request body exceeds 1 MB')
    text += utf8.decode(chunk, { stream: true })
  }
  let body: unknown
  try {
    body = JSON.parse(text + utf8.decode())
  } catch {
    throw new ApiError(400, 'body: malformed JSON', 'invalid_request_error', 'body')
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw bad('body', 'must be a JSON object')
  return body as Record<string, unknown>
}

function sendJson(res: http.ServerResponse, status: number, value: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(value))
}

function sendError(res: http.ServerResponse, e: ApiError, headers: http.OutgoingHttpHeaders = {}): void {
  sendJson(res, e.status, { error: { message: e.message, type: e.type, param: e.param, code: e.code } }, headers)
}

/** Lets the socket flush and other requests run between tokens (generation is CPU-bound). */
const tick = () => new Promise<void>((resolve) => setImmediate(resolve))

export function createServer(o: ServerOptions): http.Server {
  const maxTokensLimit = o.maxTokensLimit ?? 1024
  if (!Number.isInteger(maxTokensLimit) || maxTokensLimit < 1) throw new RangeError('maxTokensLimit must be a positive integer')
  if (!o.backend && !o.model) throw new Error('serve: pass a model or a backend')
  const backend = o.backend ?? ngramBackend(o.model!)
  const wm: Watermarker | null = o.key && o.watermark !== false ? createWatermarker(o.key) : null
  const fingerprint = wm?.spec.fingerprint
  if (wm && wm.spec.vocabSize !== backend.vocabSize) {
    throw new Error(`the key's vocabulary size is ${wm.spec.vocabSize} but the model's logits have ${backend.vocabSize} entries`)
  }
  if (wm && backend.tokenizerName !== null && wm.spec.tokenizer !== backend.tokenizerName) {
    throw new Error(`the key was made for tokenizer ${wm.spec.tokenizer} but the model uses ${backend.tokenizerName}`)
  }
  // A Map, not the object: no prototype keys ("constructor", "__proto__") can authenticate.
  const accounts = new Map(Object.entries(checkAccounts(o.accounts, 'accounts', fingerprint ? 2 ** fingerprint.bits - 1 : undefined)))

  async function completion(req: http.IncomingMessage, res: http.ServerResponse, chat: boolean): Promise<void> {
    const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')
    const account = auth ? accounts.get(auth[1].trim()) : undefined
    if (account === undefined) {
      throw new ApiError(401, auth ? 'Incorrect API key provided.' : 'Missing API key: send Authorization: Bearer <api key>.', 'authentication_error', null, 'invalid_api_key')
    }
    const r = parseRequest(await readJson(req), chat, maxTokensLimit)
    // The n-gram backend encodes slice by slice, yielding: a long prompt must not stall other clients.
    const promptIds = await backend.encode(r.prompt)
    const aborted = new AbortController()
    let closed = false
    res.on('close', () => {
      closed = true // client gone: stop generating
      aborted.abort()
    })
    // Same seed, same request: same output. Without a seed: Math.random, and each
    // session draws its gumbel nonce from the CSPRNG.
    const random = r.seed === undefined ? Math.random : seededRandom(r.seed)
    const nonces = wm ? gumbelNonces(wm.spec) : 1
    /** One choice: the backend opens its own watermark session (the caller's account is the fingerprint payload) with its own nonce. */
    const choiceTokens = () =>
      backend.generate(promptIds, {
        maxTokens: r.maxTokens,
        watermarker: wm,
        payload: fingerprint ? account : undefined,
        nonce: r.seed === undefined || nonces === 1 ? undefined : Math.floor(random() * nonces),
        sample: { temperature: r.temperature, topP: r.topP, topK: r.topK ?? o.topK, random },
        signal: aborted.signal,
      })
    const id = (chat ? 'chatcmpl-' : 'cmpl-') + randomBytes(12).toString('hex')
    const head = { id, object: chat ? 'chat.completion' : 'text_completion', created: Math.floor(Date.now() / 1000), model: backend.id }

    if (!r.stream) {
      const choices = []
      let completion = 0
      for (let index = 0; index < r.n && !closed; index++) {
        const tokens = choiceTokens()
        const text = textStream((ids) => backend.decode(ids))
        let out = ''
        let step = await tokens.next()
        for (; !step.done && !closed; step = await tokens.next(), completion++) {
          out += text.push(step.value)
          await tick()
        }
        if (!step.done) await tokens.return('length') // frees the backend's slot
        out += text.flush()
        const finish: FinishReason = step.done ? step.value : 'length'
        choices.push(
          chat
            ? { index, message: { role: 'assistant', content: out }, finish_reason: finish }
            : { index, text: out, logprobs: null, finish_reason: finish },
        )
      }
      const usage = { prompt_tokens: promptIds.length, completion_tokens: completion, total_tokens: promptIds.length + completion }
      sendJson(res, 200, { ...head, choices, usage })
      return
    }

    const tokens = choiceTokens()
    const text = textStream((ids) => backend.decode(ids))
    // Server-Sent Events: one chunk per token, as it is produced, then [DONE].
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' })
    const chunk = { ...head, object: chat ? 'chat.completion.chunk' : 'text_completion' }
    const send = (delta: string | null, finish: FinishReason | null = null, first = false) => {
      const choice = chat
        ? { index: 0, delta: delta === null ? {} : first ? { role: 'assistant', content: delta } : { content: delta }, finish_reason: finish }
        : { index: 0, text: delta ?? '', logprobs: null, finish_reason: finish }
      res.write(`data: ${JSON.stringify({ ...chunk, choices: [choice] })}\n\n`)
    }
    if (chat) send('', null, true)
    let step = await tokens.next()
    for (; !step.done && !closed; step = await tokens.next()) {
      const delta = text.push(step.value)
      if (delta) send(delta)
      await tick()
    }
    if (!step.done) await tokens.return('length')
    if (closed) return
    const rest = text.flush()
    if (rest) send(rest)
    send(null, step.done ? step.value : 'length')
    res.end('data: [DONE]\n\n')
  }

  return http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    const route = { '/v1/completions': 'completion', '/v1/chat/completions': 'chat', '/v1/models': 'models' }[path]
    const handle = async () => {
      if (!route) throw new ApiError(404, `no route ${req.method} ${path}`, 'invalid_request_error', null, 'not_found')
      const allowed = route === 'models' ? 'GET' : 'POST'
      if (req.method !== allowed) throw new ApiError(405, `method ${req.method} not allowed on ${path}; use ${allowed}`, 'invalid_request_error', null, 'method_not_allowed')
      if (route === 'models') return sendJson(res, 200, { object: 'list', data: [{ id: backend.id, object: 'model', created: 0, owned_by: 'tracemark' }] })
      await completion(req, res, route === 'chat')
    }
    handle().catch((e: unknown) => {
      const err =
        e instanceof ApiError ? e
        : e instanceof BusyError ? new ApiError(503, 'the model is busy: retry later', 'server_error', null, 'busy')
        : new ApiError(500, 'internal error', 'server_error') // no internals echoed
      if (!(e instanceof ApiError)) console.error('tracemark serve: request failed:', (e as Error)?.message)
      if (res.headersSent) return void res.end() // mid-stream: just close
      // Unread body (401/405/413…): answer, then close the connection rather than read it.
      const rest = req.readableEnded ? {} : { connection: 'close' }
      if (err.status === 405) sendError(res, err, { allow: route === 'models' ? 'GET' : 'POST', ...rest })
      else sendError(res, err, rest)
      if (!req.readableEnded) req.resume()
    })
  })
}

/** Starts the server (default 127.0.0.1, port 8000; port 0 picks a free one). */
export async function serve(o: ServerOptions & { port?: number; host?: string }): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(o)
  const host = o.host ?? '127.0.0.1'
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(o.port ?? 8000, host, () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()))
        server.closeAllConnections()
      }),
  }
}
