/**
 * The packages as npm users get them: build, `pnpm pack` each published package, install
 * the tarballs into an empty project outside the workspace, and run every CLI command and
 * both library entry points (ESM import, CJS require) from there. The rest of the suite
 * runs the TypeScript sources through tsx, which hides anything the build leaves out
 * (the scan worker was: every published scan failed with "scan worker not found").
 *
 * Network: only the npm registry, and only for what the local pnpm store lacks
 * (`--prefer-offline`; after the workspace's own install that is nothing).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { parseKey } from '@tracemark/watermark'
import { watermarkedWords } from './helpers.js'

const root = resolve(__dirname, '..')
const dir = mkdtempSync(join(tmpdir(), 'tracemark-published-'))
const app = join(dir, 'app')
const bin = join(app, 'node_modules', '.bin', 'tracemark')
const PUBLISHED = ['watermark', 'detector']
const HUMAN =
  'It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of foolishness, ' +
  'it was the epoch of belief, it was the epoch of incredulity, it was the season of Light, it was the season of Darkness.'

const pnpm = (args: string[], cwd: string) => execFileSync('pnpm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })

/** Runs the installed `tracemark` binary (through its bin shim, as a user would). */
function tracemark(args: string[], input?: string) {
  const r = spawnSync(bin, args, { cwd: app, input, encoding: 'utf8', timeout: 120_000 })
  return { code: r.status, out: r.stdout, err: r.stderr }
}

/** Same as {@link tracemark}, without blocking this process (the probe needs our endpoint to answer). */
function tracemarkAsync(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((done) => {
    const p = spawn(bin, args, { cwd: app })
    let out = ''
    let err = ''
    p.stdout.on('data', (d) => (out += d))
    p.stderr.on('data', (d) => (err += d))
    p.on('close', (code) => done({ code, out, err }))
  })
}

beforeAll(() => {
  for (const p of PUBLISHED) pnpm(['run', 'build'], join(root, 'packages', p))
  const tarballs: Record<string, string> = {}
  for (const p of PUBLISHED) {
    pnpm(['pack', '--pack-destination', dir], join(root, 'packages', p))
    tarballs[`@tracemark/${p}`] = join(dir, readdirSync(dir).find((f) => f.startsWith(`tracemark-${p}-`) && f.endsWith('.tgz'))!)
  }
  mkdirSync(app)
  const deps = Object.fromEntries(Object.entries(tarballs).map(([name, file]) => [name, `file:${file}`]))
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, version: '0.0.0', dependencies: deps }))
  // The packed detector depends on @tracemark/watermark@<version>, which the registry does
  // not have: point it at the tarball. msgpackr-extract (bullmq's optional native speed-up)
  // is not built, as in the workspace.
  const overrides = Object.entries(deps).map(([n, v]) => `  "${n}": "${v}"`).join('\n')
  writeFileSync(join(app, 'pnpm-workspace.yaml'), `overrides:\n${overrides}\nallowBuilds:\n  msgpackr-extract: false\n`)
  pnpm(['install', '--prefer-offline'], app)
}, 300_000)

describe('the published packages, installed from their tarballs', () => {
  it('ship only dist/ and the README, with the scan worker next to the CLI', () => {
    const tgz = join(dir, readdirSync(dir).find((f) => f.startsWith('tracemark-detector-'))!)
    const files = execFileSync('tar', ['tzf', tgz], { encoding: 'utf8' }).trim().split('\n').sort()
    expect(files).toContain('package/dist/cli.js')
    expect(files).toContain('package/dist/scan-worker.js')
    expect(files).toContain('package/dist/index.cjs')
    expect(files.every((f) => /^package\/(dist\/|README\.md$|package\.json$)/.test(f))).toBe(true)
  })

  let keyPath = ''
  let fpKeyPath = ''
  let watermarked = ''
  let fingerprinted = ''

  it('keygen writes a key file and prints its keyId', () => {
    keyPath = join(app, 'key.json')
    fpKeyPath = join(app, 'fp.json')
    const r = tracemark(['keygen', '--scheme', 'kgw', '--param', 'gamma=0.25', '--param', 'delta=2', '--out', keyPath])
    expect(r.err).toBe('')
    expect(r.code).toBe(0)
    const key = parseKey(readFileSync(keyPath, 'utf8'))
    expect(r.out.trim()).toBe(key.keyId)
    expect(tracemark(['keygen', '--fingerprint-bits', '8', '--out', fpKeyPath]).code).toBe(0)
    watermarked = watermarkedWords(key, 300, 5).text // 300 tokens: detection never hinges on the random key (see cli.test.ts)
    fingerprinted = watermarkedWords(parseKey(readFileSync(fpKeyPath, 'utf8')), 400, 7, 77).text
  })

  it('detect: exit 0 on watermarked text, 1 on human text, 2 on empty input', () => {
    const yes = tracemark(['detect', '--key', keyPath], watermarked)
    expect(yes.code).toBe(0)
    expect(yes.out).toMatch(/^watermark DETECTED/)
    const no = tracemark(['detect', '--key', keyPath], HUMAN)
    expect(no.code).toBe(1)
    expect(no.out).toMatch(/^no watermark detected/)
    const empty = tracemark(['detect', '--key', keyPath], '')
    expect(empty.code).toBe(2)
    expect(empty.err).toMatch(/standard input is empty/)
  })

  it('attribute: names the account a fingerprinted text was made for', () => {
    const r = tracemark(['attribute', '--key', fpKeyPath, '--json'], fingerprinted)
    expect(r.code).toBe(0)
    expect(JSON.parse(r.out).attribution.account).toBe(77)
    expect(tracemark(['attribute', '--key', fpKeyPath], HUMAN).code).toBe(1)
  })

  it('scan: the worker threads load and flag the watermarked document', () => {
    const corpus = join(app, 'corpus.jsonl')
    writeFileSync(corpus, [HUMAN, watermarked, 'a'.repeat(100_000)].map((text) => JSON.stringify({ text })).join('\n') + '\n')
    const r = tracemark(['scan', '--key', keyPath, '--workers', '2', '--json', corpus])
    expect(r.err).not.toMatch(/worker not found|Error/)
    expect(r.code).toBe(0)
    const records = r.out.trim().split('\n').map((l) => JSON.parse(l))
    const docs = records.filter((x) => x.type === 'document')
    expect(docs.map((d) => d.line)).toEqual([1, 2, 3])
    expect(docs.map((d) => d.detected)).toEqual([false, true, false])
    expect(records.at(-1)).toMatchObject({ type: 'summary', documents: 3, flagged: 1 })
  })

  it('probe: talks to an OpenAI-compatible endpoint and gives a verdict', async () => {
    // A stand-in endpoint answering every prompt with the same human sentence: not radioactive.
    const server = http.createServer((req, res) => {
      req.resume()
      res.setHeader('content-type', 'application/json')
      if (req.url?.endsWith('/models')) return void res.end(JSON.stringify({ object: 'list', data: [{ id: 'm', object: 'model' }] }))
      res.end(JSON.stringify({ id: 'x', object: 'text_completion', choices: [{ index: 0, text: ` ${HUMAN}`, finish_reason: 'length' }] }))
    })
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    try {
      const r = await tracemarkAsync(['probe', '--key', keyPath, '--endpoint', url, '--budget', '2000', '--json'])
      expect(r.err).not.toMatch(/Error/)
      expect(r.code).toBe(1)
      expect(JSON.parse(r.out)).toMatchObject({ endpoint: url, radioactive: false })
    } finally {
      server.close()
    }
  })

  it('usage errors exit 2 with a message, no stack trace', () => {
    const r = tracemark(['detect', '--key', join(app, 'missing.json')], 'text')
    expect(r.code).toBe(2)
    expect(r.err).toMatch(/^tracemark: cannot read key file .*missing\.json/)
    expect(r.err).not.toMatch(/\n\s+at /)
  })

  const library = `
    const key = wm.generateKey({ scheme: 'kgw' })
    const text = det.getTokenizer('cl100k_base').decode([791, 4062, 14198, 39935])
    const r = det.detect(text, key)
    console.log(JSON.stringify({ keyId: key.keyId.slice(0, 4), tokens: r.tokens, p: r.pValue > 0 && r.pValue <= 1 }))`
  const expected = { keyId: 'tm1-', tokens: 4, p: true }

  it('the library loads with ESM import', () => {
    const src = `import * as wm from '@tracemark/watermark'\nimport * as det from '@tracemark/detector'\n${library}`
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', src], { cwd: app, encoding: 'utf8' })
    expect(JSON.parse(out)).toEqual(expected)
  })

  it('the library loads with CJS require', () => {
    const src = `const wm = require('@tracemark/watermark')\nconst det = require('@tracemark/detector')\n${library}`
    const out = execFileSync(process.execPath, ['--input-type=commonjs', '-e', src], { cwd: app, encoding: 'utf8' })
    expect(JSON.parse(out)).toEqual(expected)
  })
})
