import http from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateKey } from '@tracemark/watermark'
import { loadCorpus } from '../src/corpus/corpus.js'
import { trainModel } from '../src/model/ngram.js'
import { createServer } from '../src/serve/server.js'
import { tokenizer } from '../src/serve/generate.js'
import { encodeYielding, safeCuts, SLICE } from '../src/serve/encode-prompt.js'

const docs = loadCorpus()
/** About 1 MB of ordinary English (Brown + SOTU), whole documents. */
const english = (() => {
  let s = ''
  for (const d of docs) {
    if (s.length > 900_000) break
    s += d.text + '\n'
  }
  return s
})()
const cjk = (n: number) => Array.from({ length: n }, (_, i) => String.fromCharCode(0x4e00 + ((i * 7919) % 20_000))).join('')

describe('prompt encoding yields between slices and keeps the exact ids', () => {
  const cases: [string, string][] = [
    ['1 MB of English', english],
    ['1 MiB of a', 'a'.repeat(1 << 20)],
    ['100K CJK characters', cjk(100_000)],
  ]
  for (const [label, text] of cases) {
    it(label, async () => {
      let pauses = 0
      const ids = await encodeYielding(tokenizer, text, async () => void pauses++)
      expect(Array.from(ids)).toEqual(Array.from(tokenizer.encode(text)))
      // One pause per slice; slices are at least SLICE characters, and the next safe cut is
      // near (a word gap in English, a 256-unit run cut otherwise), so about length / SLICE.
      expect(pauses).toBe(safeCuts(text).length + 1)
      expect(pauses).toBeGreaterThanOrEqual(Math.floor(text.length / (SLICE + 256)))
      expect(pauses).toBeLessThanOrEqual(Math.ceil(text.length / SLICE))
    })
  }

  it('short prompts are encoded in one call, without a pause', async () => {
    let pauses = 0
    const ids = await encodeYielding(tokenizer, 'Once upon a time', async () => void pauses++)
    expect(pauses).toBe(0)
    expect(Array.from(ids)).toEqual(Array.from(tokenizer.encode('Once upon a time')))
  })
})

describe('lab serve: one huge request does not block the others', () => {
  let srv: http.Server
  let server: { url: string }
  /** Runs when the server has read the whole body of a request over 100 kB (before it answers). */
  let onHugeBodyRead: (() => void) | null = null
  beforeAll(async () => {
    // A small model is enough: the question is scheduling, not text quality.
    const model = trainModel(docs.slice(0, 40).map((d) => d.text), { order: 3 })
    srv = createServer({ model, key: generateKey({ scheme: 'gumbel' }), accounts: { 'sk-test': 1 } })
    srv.on('request', (req: http.IncomingMessage) => {
      if (Number(req.headers['content-length'] ?? 0) > 100_000) req.on('end', () => onHugeBodyRead?.())
    })
    await new Promise<void>((ok) => srv.listen(0, '127.0.0.1', ok))
    server = { url: `http://127.0.0.1:${(srv.address() as import('node:net').AddressInfo).port}` }
  })
  afterAll(() => {
    srv?.closeAllConnections()
    srv?.close()
  })

  /** POSTs with node:http (chunked: no Content-Length, the body in 64 KB writes). */
  function post(body: string, chunked = false): Promise<{ status: number; json: any }> {
    return new Promise((resolve, reject) => {
      const req = http.request(`${server.url}/v1/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test', ...(chunked ? {} : { 'content-length': Buffer.byteLength(body) }) },
      })
      req.on('response', (res) => {
        let text = ''
        res.on('data', (d) => (text += d))
        res.on('end', () => resolve({ status: res.statusCode!, json: JSON.parse(text) }))
      })
      req.on('error', reject)
      if (chunked) for (let i = 0; i < body.length; i += 65_536) req.write(body.slice(i, i + 65_536))
      req.end(chunked ? undefined : body)
    })
  }

  it('a small request sent while a 1 MB prompt is being tokenized is answered first', async () => {
    const prompt = english.slice(0, 1_000_000 - 100)
    const done: string[] = []
    // Client and server share this event loop: the small request is sent the moment the
    // server has the huge body, i.e. while it tokenizes it.
    let small: Promise<{ status: number; json: any }> | undefined
    onHugeBodyRead = () => {
      onHugeBodyRead = null
      small = post(JSON.stringify({ prompt: 'The nation', max_tokens: 1, seed: 1 }))
      small.then(() => done.push('small'))
    }
    const h = await post(JSON.stringify({ prompt, max_tokens: 1, seed: 1 }))
    done.push('huge')
    const s = await small!
    expect([h.status, s.status]).toEqual([200, 200])
    expect(h.json.usage.prompt_tokens).toBe(tokenizer.encode(prompt).length)
    // Without yielding, the server encodes the whole 1 MB prompt (and answers it) before it
    // even accepts the small request; with it, the small one is served between slices.
    expect(done).toEqual(['small', 'huge'])
  })

  it('a pathological 1 MB prompt (one run of letters) is answered, not a 500', async () => {
    const r = await post(JSON.stringify({ prompt: 'a'.repeat(1_000_000 - 100), max_tokens: 2 }))
    expect(r.status).toBe(200)
    expect(r.json.usage.prompt_tokens).toBe(tokenizer.encode('a'.repeat(1_000_000 - 100)).length)
  })

  it('a body over 1 MB gets a clear 413, with or without Content-Length', async () => {
    const body = JSON.stringify({ prompt: 'word '.repeat(220_000) })
    for (const chunked of [false, true]) {
      const r = await post(body, chunked)
      expect(r.status).toBe(413)
      expect(r.json.error.message).toBe('request body exceeds 1 MB')
    }
  })
})
