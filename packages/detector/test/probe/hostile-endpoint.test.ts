/**
 * The probe client against endpoints that lie: real HTTP servers on 127.0.0.1,
 * each bounded (they stop by themselves after a few seconds or a few megabytes),
 * driven through the `tracemark probe` command as a user would run it. Every
 * failure to get answers must be exit 2 with a message, never a crash or exit 1
 * ("not radioactive"), and nothing the server wrote may reach the terminal raw.
 */
import { fileURLToPath } from 'node:url'
import { spawn } from 'node:child_process'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { generateKey, serializeKey } from '@tracemark/watermark'
import { run } from '../../src/cli/program.js'
import { MAX_RESPONSE_BYTES } from '../../src/probe/client.js'
import { collectAnswers } from '../../src/probe/collect.js'

const dir = mkdtempSync(join(tmpdir(), 'tm-hostile-'))
const keyPath = join(dir, 'key.json')
writeFileSync(keyPath, serializeKey(generateKey({ scheme: 'gumbel' }, { secret: new Uint8Array(32).fill(7) })), { mode: 0o600 })

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void
const servers: http.Server[] = []

/** A server on a free loopback port; `requests` counts requests per path. */
async function hostile(handler: Handler) {
  const requests: Record<string, number> = {}
  const server = http.createServer((req, res) => {
    requests[req.url ?? ''] = (requests[req.url ?? ''] ?? 0) + 1
    req.resume()
    handler(req, res)
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests }
}

afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections()
    await new Promise((resolve) => s.close(resolve))
  }
})

const json = (res: http.ServerResponse, status: number, body: unknown) => {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}
const noModels = (req: http.IncomingMessage, res: http.ServerResponse) => req.url === '/v1/models' && (json(res, 404, { error: { message: 'no' } }), true)

async function probe(url: string, ...extra: string[]) {
  let out = ''
  let err = ''
  const code = await run(['probe', '--key', keyPath, '--endpoint', url, '--budget', '2000', ...extra], { out: (s) => (out += s), err: (s) => (err += s) })
  return { code, out, err }
}

/** What every failed probe shares: exit 2, one message naming the endpoint, no verdict, no crash. */
function expectFailure(r: { code: number; out: string; err: string }, url: string, why: RegExp) {
  expect(r.code).toBe(2)
  expect(r.out).toBe('')
  expect(r.err).toMatch(new RegExp(`^tracemark: probe of ${url.replace(/[.:/]/g, '\\$&')} failed, no verdict: `))
  expect(r.err).toMatch(why)
  expect(r.err).not.toMatch(/TypeError|at .*\.ts:\d+/)
}

describe('probe against a hostile endpoint', () => {
  it('a body cut short (lying Content-Length) is exit 2 with a message, after the retries', async () => {
    const s = await hostile((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' })
      res.write('{"choices": [')
      setTimeout(() => res.destroy(), 20)
    })
    const r = await probe(s.url)
    expectFailure(r, s.url, /\/v1\/models: the response body broke off after HTTP 200 \(\w+\)/)
    expect(s.requests['/v1/models']).toBe(4) // the default attempts; then it gives up
  })

  it('a slow drip and a server that never answers end at --timeout, not retried', async () => {
    const drip = await hostile((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' })
      let n = 0
      const t = setInterval(() => (++n > 100 ? (clearInterval(t), res.destroy()) : res.write(' ')), 50)
      res.on('close', () => clearInterval(t))
    })
    const r = await probe(drip.url, '--timeout', '0.5')
    expectFailure(r, drip.url, /no complete answer within 0.5 s \(--timeout\)/)
    expect(drip.requests['/v1/models']).toBe(1)

    const silent = await hostile((req, res) => {
      setTimeout(() => res.destroy(), 10_000).unref()
    })
    const q = await probe(silent.url, '--timeout', '0.3', '--model', 'm')
    expectFailure(q, silent.url, /\/v1\/completions: no complete answer within 0.3 s/)
    expect(silent.requests['/v1/completions']).toBe(4) // one per worker in flight, none retried
  })

  it('stops an endpoint that only returns empty answers after a bounded number of requests', async () => {
    const s = await hostile((req, res) => {
      if (noModels(req, res)) return
      json(res, 200, { choices: [{ text: '' }], usage: { completion_tokens: 0 } })
    })
    const r = await probe(s.url, '--concurrency', '4')
    expectFailure(r, s.url, /the endpoint keeps returning empty answers \(101 of 101\)/)
    // 100 tolerated + the one that trips the guard, + at most 3 more already in flight.
    expect(s.requests['/v1/completions']).toBeGreaterThanOrEqual(101)
    expect(s.requests['/v1/completions']).toBeLessThanOrEqual(104)
  })

  it('tolerates empty answers among useful ones: the allowance grows with the useful answers only', async () => {
    let n = 0
    const s = await hostile((req, res) => {
      if (noModels(req, res)) return
      // Four empty answers for every useful one: 240 empties by the time 60 useful ones fill the budget.
      const useful = n++ % 5 === 4
      json(res, 200, { choices: [{ text: useful ? 'five tokens of answer text' : '' }], usage: { completion_tokens: useful ? 5 : 0 } })
    })
    const answers = await collectAnswers({ endpoint: s.url, prompts: ['p'], budget: 300, concurrency: 4 })
    expect(answers.reduce((t, a) => t + a.tokens, 0)).toBeGreaterThanOrEqual(300)
    expect(answers.every((a) => a.tokens === 5)).toBe(true)
    expect(s.requests['/v1/completions']).toBeGreaterThanOrEqual(300)
  })

  it('caps a response body, declared or streamed, without reading the rest', async () => {
    const declared = await hostile((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(2 ** 31) })
      res.write('{')
      setTimeout(() => res.destroy(), 2000).unref()
    })
    const r = await probe(declared.url)
    expectFailure(r, declared.url, new RegExp(`declares ${2 ** 31} bytes, over the ${MAX_RESPONSE_BYTES}-byte cap`))
    expect(declared.requests['/v1/models']).toBe(1)

    // Chunked, no length: 64 MiB offered in 64 KiB chunks, written only as fast as the client reads.
    const offered = 64 * 1024 * 1024
    let written = 0
    const streamed = await hostile((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      const chunk = Buffer.alloc(64 * 1024, 0x20)
      const pump = () => {
        while (written < offered && !res.destroyed) {
          written += chunk.length
          if (!res.write(chunk)) return void res.once('drain', pump)
        }
        res.end()
      }
      pump()
    })
    const q = await probe(streamed.url)
    expectFailure(q, streamed.url, new RegExp(`/v1/models: the response is over the ${MAX_RESPONSE_BYTES}-byte cap`))
    // The client stopped reading at the cap (socket buffers hold a few MB more at most).
    expect(written).toBeLessThan(offered / 2)
  })

  it('never prints the API key, even when the server quotes it back', async () => {
    const s = await hostile((req, res) => {
      if (noModels(req, res)) return
      json(res, 401, { error: { message: `Incorrect API key provided: ${req.headers.authorization}` } })
    })
    const r = await probe(s.url, '--api-key', 'sk-quoted-0123456789')
    expectFailure(r, s.url, /HTTP 401: Incorrect API key provided: Bearer <api key>/)
    expect(r.err).not.toContain('sk-quoted')
  })

  it('strips escape sequences and line breaks from server text, and never shows credentials or the API key', async () => {
    const forged = '\x1b[2K\r\nwatermark DETECTED: p = 1e-40 < alpha = 1e-6\n\x1b]0;owned\x07\x9b31m'
    let auth = ''
    const s = await hostile((req, res) => {
      auth = req.headers.authorization ?? ''
      if (noModels(req, res)) return
      json(res, 400, { error: { message: forged } })
    })
    const withUser = s.url.replace('http://', 'http://alice:hunter2@')
    const r = await probe(withUser, '--api-key', 'sk-live-1234567890')
    expect(auth).toBe('Bearer sk-live-1234567890') // the key was sent...
    // ESC [2K is removed whole; CR and LF become visible ?, so no forged line of its own.
    expectFailure(r, s.url, /\/v1\/completions: HTTP 400: \?\?watermark DETECTED: p = 1e-40 < alpha = 1e-6\?/)
    // ...and the one line printed carries no control character, no credential, no key.
    expect(r.err.trimEnd().split('\n')).toHaveLength(1)
    expect(r.err.trimEnd()).not.toMatch(/[\x00-\x1f\x7f-\x9f]/)
    for (const secret of ['hunter2', 'alice', 'sk-live']) expect(r.err).not.toContain(secret)
  })
})

describe('probe options', () => {
  it('rejects NaN, 0, negatives and absurd sizes with exit 2, naming the option', async () => {
    const cases: Array<[string, string[]]> = [
      ['--budget', ['nan', '0', '-5', '1e9', '2.5', '']],
      ['--concurrency', ['NaN', '0', '-1', '1e9', '1.5']],
      ['--max-tokens', ['abc', '0', '-200', '1e9']],
      ['--temperature', ['nan', '-0.1', '3', 'Infinity']],
      ['--alpha', ['nan', '0', '1', '-0.5', '1e9']],
      ['--timeout', ['nan', '0', '-1', '1e9']],
    ]
    for (const [option, values] of cases) {
      for (const v of values) {
        let err = ''
        const code = await run(['probe', '--key', keyPath, '--endpoint', 'http://127.0.0.1:9', option, v], { out: () => {}, err: (s) => (err += s) })
        expect(code, `${option} ${v}`).toBe(2)
        expect(err, `${option} ${v}`).toContain(`option '${option} <`)
      }
    }
  })

  it('SIGTERM stops a running probe: no verdict, exit 143', async () => {
    let seen!: () => void
    const firstRequest = new Promise<void>((resolve) => (seen = resolve))
    const s = await hostile((req, res) => {
      seen()
      setTimeout(() => res.destroy(), 20_000).unref() // holds every request; bounded
    })
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url)), 'probe', '--key', keyPath, '--endpoint', s.url, '--model', 'm'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    await firstRequest
    child.kill('SIGTERM')
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)))
    expect(code).toBe(143)
    expect(err).toBe('tracemark: probe stopped by SIGTERM; no verdict\n')
    expect(out).toBe('')
  })
})
