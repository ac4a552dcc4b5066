import { writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { detect } from '@tracemark/detector'
import { generateKey, serializeKey, type WatermarkKey } from '@tracemark/watermark'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { run } from '../src/cli/program.js'
import { runtimeUnavailable } from '../src/runtimes/availability.js'
import { modelCacheDir } from '../src/runtimes/model-cache.js'
import { buildTinyGgufModel } from '../src/runtimes/tiny-gguf.js'
import { buildTinyOnnxModel } from '../src/runtimes/tiny-onnx.js'
import type { ServeBackend } from '../src/serve/backend.js'
import { openRuntimeBackend, type Runtime } from '../src/serve/open-backend.js'
import { serve } from '../src/serve/server.js'

// `lab serve --runtime`: the OpenAI-compatible server over a real runtime and a tiny
// model built by the test, end to end over HTTP. Detection is from the response
// text, re-tokenized with the model's own tokenizer. Bounds: detect() gives the
// exact p-value under the null, so plain text falls below 1e-6 with probability 1e-6.

const accounts = { 'sk-alice': 1001 }
const models: Record<Runtime, () => string> = {
  transformers: () => buildTinyOnnxModel(modelCacheDir()),
  'llama-cpp': () => buildTinyGgufModel(modelCacheDir()),
}

const runnable = (Object.keys(models) as Runtime[]).filter((runtime) => {
  const why = runtimeUnavailable(runtime)
  if (why) console.warn(`skipping lab serve --runtime ${runtime}: ${why}`)
  return !why
})

describe.each(runnable)('lab serve --runtime %s', (runtime) => {
  let backend: ServeBackend
  let closeRuntime: () => Promise<void>
  let key: WatermarkKey
  let wm: { url: string; close(): Promise<void> }
  let plain: { url: string; close(): Promise<void> }

  beforeAll(async () => {
    const rt = await openRuntimeBackend(runtime, models[runtime](), { slots: 2, threads: 1 })
    backend = rt.backend
    closeRuntime = rt.close
    key = generateKey({ scheme: 'gumbel', tokenizer: 'tiny-bpe', vocabSize: backend.vocabSize }, { secret: new Uint8Array(32).fill(5) })
    wm = await serve({ backend, key, accounts, port: 0 })
    plain = await serve({ backend, key, watermark: false, accounts, port: 0 })
  })
  afterAll(async () => {
    await wm?.close()
    await plain?.close()
    await closeRuntime?.()
  })

  const complete = (base: string, body: object) =>
    fetch(`${base}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-alice' },
      body: JSON.stringify({ prompt: ' ab cd ef', max_tokens: 200, temperature: 1, seed: 1, ...body }),
    })

  it('serves watermarked completions that are detected from their text', async () => {
    const res = await complete(wm.url, {})
    expect(res.status).toBe(200)
    const body = await res.json()
    expect(body.model).toBe(backend.id)
    expect(body.usage.completion_tokens).toBeGreaterThan(150)
    const r = detect(await backend.encode(body.choices[0].text), key)
    expect(r.pValue).toBeLessThan(1e-6)
  })

  it('streams watermarked chat deltas over SSE', async () => {
    const res = await fetch(`${wm.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-alice' },
      body: JSON.stringify({ messages: [{ role: 'user', content: ' st ar' }], max_tokens: 200, seed: 2, stream: true }),
    })
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    const events = (await res.text()).split('\n\n').filter(Boolean)
    expect(events.at(-1)).toBe('data: [DONE]')
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice(6)))
    expect(chunks.length).toBeGreaterThan(20) // one event per token (or per completed character)
    const text = chunks.map((c) => c.choices[0].delta.content ?? '').join('')
    expect(detect(await backend.encode(text), key).pValue).toBeLessThan(1e-6)
  })

  it('serves plain text without the watermark: not detected', async () => {
    const body = await (await complete(plain.url, {})).json()
    const r = detect(await backend.encode(body.choices[0].text), key)
    expect(r.scored).toBeGreaterThan(100)
    expect(r.pValue).toBeGreaterThan(1e-6)
  })

  it("refuses a key whose vocabulary is not the model's", async () => {
    const other = generateKey({ scheme: 'gumbel', tokenizer: 'tiny-bpe', vocabSize: backend.vocabSize + 1 })
    await expect(serve({ backend, key: other, accounts, port: 0 })).rejects.toThrow(
      new RegExp(`${backend.vocabSize + 1}.*${backend.vocabSize}`),
    )
  })
})

describe('lab serve --runtime: usage errors', () => {
  const io = () => {
    const err: string[] = []
    return { err, io: { out: () => {}, err: (s: string) => void err.push(s) } }
  }
  const keyFile = join(tmpdir(), `tracemark-serve-runtime-key-${process.pid}.json`)
  const accountsFile = join(tmpdir(), `tracemark-serve-runtime-accounts-${process.pid}.json`)
  beforeAll(() => {
    writeFileSync(keyFile, serializeKey(generateKey({ scheme: 'gumbel', tokenizer: 'tiny-bpe', vocabSize: 10 })))
    writeFileSync(accountsFile, JSON.stringify(accounts))
  })

  it('exits 2 when a runtime is given without --model, or an unknown runtime', async () => {
    const a = io()
    expect(await run(['serve', '--runtime', 'transformers', '--key', keyFile, '--accounts', accountsFile, '--port', '0'], a.io)).toBe(2)
    expect(a.err.join('')).toMatch(/--runtime transformers needs --model DIR/)
    const b = io()
    expect(await run(['serve', '--runtime', 'vllm', '--model', '.', '--key', keyFile, '--accounts', accountsFile], b.io)).toBe(2)
    expect(b.err.join('')).toMatch(/--runtime must be ngram, transformers or llama-cpp/)
  })

  it('exits 2 naming the folder when it holds no model', async () => {
    const a = io()
    const dir = tmpdir()
    expect(await run(['serve', '--runtime', 'transformers', '--model', dir, '--key', keyFile, '--accounts', accountsFile], a.io)).toBe(2)
    expect(a.err.join('')).toContain(`${dir}: no config.json`)
  })
})
