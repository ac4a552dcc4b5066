import { attributeTokens, detect, getTokenizer } from '@tracemark/detector'
import { createWatermarker, generateKey } from '@tracemark/watermark'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadOrTrainDefaultModel } from '../src/model/default.js'
import { serve } from '../src/serve/server.js'

const key = generateKey({ scheme: 'gumbel', fingerprint: {} }, { secret: Uint8Array.from({ length: 32 }, (_, i) => i) })
const accounts = { 'sk-alice': 1001, 'sk-bob': 2002 }
let wm: { url: string; close(): Promise<void> }
let plain: { url: string; close(): Promise<void> }

beforeAll(async () => {
  const model = loadOrTrainDefaultModel()
  wm = await serve({ model, key, accounts, port: 0 })
  plain = await serve({ model, key, watermark: false, accounts, port: 0 })
})
afterAll(async () => {
  await wm?.close()
  await plain?.close()
})

function post(path: string, body: unknown, apiKey: string | null = 'sk-alice', base = wm.url) {
  return fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
}

/** Concatenated deltas of an SSE response, and whether it ended with [DONE]. */
async function readStream(res: Response, chat: boolean) {
  const events = (await res.text()).split('\n\n').filter(Boolean)
  expect(events.every((e) => e.startsWith('data: '))).toBe(true)
  const done = events.at(-1) === 'data: [DONE]'
  const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice(6)))
  const text = chunks.map((c) => (chat ? (c.choices[0].delta.content ?? '') : c.choices[0].text)).join('')
  return { done, chunks, text }
}

describe('OpenAI-compatible server', () => {
  it('rejects missing and unknown API keys with 401', async () => {
    for (const apiKey of [null, 'sk-mallory', 'constructor']) {
      const res = await post('/v1/completions', { prompt: 'Hi' }, apiKey)
      expect(res.status).toBe(401)
      const body = await res.json()
      expect(body.error).toMatchObject({ param: null, code: 'invalid_api_key' })
      expect(['invalid_request_error', 'authentication_error']).toContain(body.error.type)
      expect(typeof body.error.message).toBe('string')
      if (apiKey) expect(body.error.message).not.toContain(apiKey)
    }
  })

  it('rejects malformed requests with 400 naming the field', async () => {
    const malformed = await post('/v1/completions', '{"prompt": ')
    expect(malformed.status).toBe(400)
    expect((await malformed.json()).error.message).toMatch(/JSON/)
    const cases: [string, unknown, string][] = [
      ['/v1/completions', {}, 'prompt'],
      ['/v1/completions', { prompt: 'Hi', max_tokens: 0 }, 'max_tokens'],
      ['/v1/completions', { prompt: 'Hi', max_tokens: 5000 }, 'max_tokens'],
      ['/v1/completions', { prompt: 'Hi', temperature: 3 }, 'temperature'],
      ['/v1/completions', { prompt: 'Hi', temperature: '1' }, 'temperature'],
      ['/v1/chat/completions', { messages: [] }, 'messages'],
      ['/v1/chat/completions', { messages: [{ role: 'user', content: 5 }] }, 'messages[0].content'],
    ]
    for (const [path, body, field] of cases) {
      const res = await post(path, body)
      expect(res.status, JSON.stringify(body)).toBe(400)
      const err = (await res.json()).error
      expect(err.type).toBe('invalid_request_error')
      expect(err.param).toBe(field)
      expect(err.message).toContain(field)
    }
  })

  it('answers 404, 405 and 413', async () => {
    expect((await post('/v1/nope', { prompt: 'x' })).status).toBe(404)
    const get = await fetch(wm.url + '/v1/completions', { headers: { authorization: 'Bearer sk-alice' } })
    expect(get.status).toBe(405)
    expect(get.headers.get('allow')).toBe('POST')
    const big = await post('/v1/completions', JSON.stringify({ prompt: 'x'.repeat(1_100_000) }))
    expect(big.status).toBe(413)
  })

  it('serves completions and chat completions in the OpenAI shapes', async () => {
    const res = await post('/v1/completions', { prompt: 'The president said', max_tokens: 20, seed: 7 })
    expect(res.status).toBe(200)
    const c = await res.json()
    expect(c).toMatchObject({ object: 'text_completion', model: expect.any(String), created: expect.any(Number) })
    expect(c.id).toMatch(/^cmpl-/)
    expect(c.choices).toHaveLength(1)
    expect(c.choices[0]).toMatchObject({ index: 0, text: expect.any(String) })
    expect(['length', 'stop']).toContain(c.choices[0].finish_reason)
    const u = c.usage
    expect(u.prompt_tokens).toBe(getTokenizer('cl100k_base').encode('The president said').length)
    expect(u.completion_tokens).toBeGreaterThan(0)
    expect(u.completion_tokens).toBeLessThanOrEqual(20)
    if (c.choices[0].finish_reason === 'length') expect(u.completion_tokens).toBe(20)
    expect(u.total_tokens).toBe(u.prompt_tokens + u.completion_tokens)

    const chat = await (await post('/v1/chat/completions', { messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Tell me about the war.' }], max_tokens: 20, seed: 7 })).json()
    expect(chat.object).toBe('chat.completion')
    expect(chat.id).toMatch(/^chatcmpl-/)
    expect(chat.choices[0]).toMatchObject({ index: 0, message: { role: 'assistant', content: expect.any(String) } })
    expect(chat.usage.prompt_tokens).toBe(getTokenizer('cl100k_base').encode('Be brief.\nTell me about the war.\n').length)
    expect(chat.usage.total_tokens).toBe(chat.usage.prompt_tokens + chat.usage.completion_tokens)
  })

  it('is deterministic given a seed, and streams the same text', async () => {
    const body = { prompt: 'In the year', max_tokens: 40, seed: 42, temperature: 0.9 }
    const a = (await (await post('/v1/completions', body)).json()).choices[0].text
    const b = (await (await post('/v1/completions', body)).json()).choices[0].text
    expect(a).toBe(b)
    const other = (await (await post('/v1/completions', { ...body, seed: 43 })).json()).choices[0].text
    expect(other).not.toBe(a)

    const res = await post('/v1/completions', { ...body, stream: true })
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/)
    const s = await readStream(res, false)
    expect(s.done).toBe(true)
    expect(s.chunks.length).toBeGreaterThan(5)
    expect(s.chunks.every((c) => c.object === 'text_completion')).toBe(true)
    expect(s.text).toBe(a)

    const chatBody = { messages: [{ role: 'user', content: 'Hello there.' }], max_tokens: 30, seed: 5 }
    const full = (await (await post('/v1/chat/completions', chatBody)).json()).choices[0].message.content
    const cs = await readStream(await post('/v1/chat/completions', { ...chatBody, stream: true }), true)
    expect(cs.done).toBe(true)
    expect(cs.chunks[0].object).toBe('chat.completion.chunk')
    expect(cs.chunks[0].choices[0].delta.role).toBe('assistant')
    expect(cs.chunks.at(-1).choices[0].finish_reason).toMatch(/^(length|stop)$/)
    expect(cs.text).toBe(full)
  })

  it('n > 1 returns different choices with a one-stream gumbel key and with a race-fingerprinted one, each detectable; reproducible given a seed', async () => {
    const model = loadOrTrainDefaultModel()
    const secret = Uint8Array.from({ length: 32 }, (_, i) => 100 + i)
    const keys = [generateKey({ scheme: 'gumbel' }, { secret }), generateKey({ scheme: 'gumbel', fingerprint: { bits: 32 } }, { secret })]
    for (const k of keys) {
      const server = await serve({ model, key: k, accounts, port: 0 })
      try {
        // One stream: after the opening prefix every token is a function of the key and
        // the window, so only the session's plain prefix (>= 8 nats of surprisal per
        // choice) makes choices differ. All three open identically with probability
        // <= e^-16 (two independent prefixes each equal to the first, each <= e^-8).
        const body = { prompt: 'The committee reported that', max_tokens: 40, n: 3, temperature: 1 }
        const res = await post('/v1/completions', body, 'sk-alice', server.url)
        expect(res.status).toBe(200)
        const json = await res.json()
        const texts: string[] = json.choices.map((c: { text: string }) => c.text)
        expect(json.choices.map((c: { index: number }) => c.index)).toEqual([0, 1, 2])
        expect(new Set(texts).size).toBeGreaterThan(1)
        // The one-stream key earns ~3 decades per 10 tokens at this temperature; the race
        // key's zero-bit test pays for searching 256 bytes per token, so only the plain key is held to 1e-3 at 40 tokens.
        // (Choices that drew the end-of-text token early are shorter: held to nothing.)
        const full = json.choices.filter((c: { finish_reason: string }) => c.finish_reason === 'length').map((c: { text: string }) => c.text)
        if (!k.spec.fingerprint) for (const t of full) expect(detect(t, k).pValue).toBeLessThan(1e-3)
        // 40 tokens per choice, unless a choice drew the end-of-text token (finish_reason
        // "stop"): unseeded, the plain prefix comes from the host's random source.
        const stopped = json.choices.filter((c: { finish_reason: string }) => c.finish_reason === 'stop').length
        if (stopped === 0) expect(json.usage.completion_tokens).toBe(3 * 40)
        else expect(json.usage.completion_tokens).toBeLessThan(3 * 40)
        expect(json.choices.every((c: { finish_reason: string }) => c.finish_reason === 'stop' || c.finish_reason === 'length')).toBe(true)
        // With a seed, the prefixes come from the seeded sampler: same request, same choices.
        const seeded = { ...body, seed: 9 }
        const a = (await (await post('/v1/completions', seeded, 'sk-alice', server.url)).json()).choices.map((c: { text: string }) => c.text)
        const b = (await (await post('/v1/completions', seeded, 'sk-alice', server.url)).json()).choices.map((c: { text: string }) => c.text)
        expect(a).toEqual(b)
        expect(new Set(a).size).toBeGreaterThan(1)
        // n must be 1..16, and n > 1 cannot stream.
        for (const bad of [{ ...body, n: 0 }, { ...body, n: 17 }, { ...body, stream: true }]) {
          const r = await post('/v1/completions', bad, 'sk-alice', server.url)
          expect(r.status).toBe(400)
          expect((await r.json()).error.param).toBe('n')
        }
      } finally {
        await server.close()
      }
    }
  })

  it('serves watermarked text attributable to the account; watermark: false does not', async () => {
    const body = { prompt: 'The Congress of the United States', max_tokens: 300, seed: 1 }
    const res = await (await post('/v1/completions', body)).json()
    const text: string = res.choices[0].text
    expect(res.usage.completion_tokens).toBeGreaterThan(200)
    expect(detect(text, key).pValue).toBeLessThan(1e-6)
    const ids = getTokenizer('cl100k_base').encode(text)
    expect(attributeTokens(createWatermarker(key), ids, { accounts: [1001, 2002, 3003] })?.account).toBe(1001)
    const bobText: string = (await (await post('/v1/completions', body, 'sk-bob')).json()).choices[0].text
    expect(bobText).not.toBe(text) // same seed, other account: other payload, other text
    const bobIds = getTokenizer('cl100k_base').encode(bobText)
    expect(attributeTokens(createWatermarker(key), bobIds, { accounts: [1001, 2002, 3003] })?.account).toBe(2002)

    const plainText: string = (await (await post('/v1/completions', body, 'sk-alice', plain.url)).json()).choices[0].text
    expect(detect(plainText, key).pValue).toBeGreaterThan(1e-6)
  })
})
